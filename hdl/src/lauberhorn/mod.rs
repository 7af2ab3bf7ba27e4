//! Lauberhorn (HotOS '25): the NIC as part of the OS. This module grows the coherent
//! control-line endpoint; so far it holds the ONC-RPC call decoder.

pub mod rpc_decode;
