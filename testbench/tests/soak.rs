//! The soak of `testbench::soak` at test size: 20,000 random and malformed frames through
//! each whole NIC at 512 bits in one continuous run (the `soak` command runs a million at
//! either width). Zero mismatches, zero writes outside the rings' free space and posted
//! buffers, zero overwrites of unconsumed data, the NIC's drops equal to the datagrams
//! missing against the model, and drops that happened (the rings did fill).

use sim_models::nic_pins;
use testbench::models::AccioNicW512N16C4;
use testbench::seed;
use testbench::soak::Tally;

const FRAMES: u64 = 20_000;

fn assert_clean(t: &Tally) {
    println!("{}", t.summary(1.0));
    assert!(t.clean(), "{}", t.summary(1.0));
    assert_eq!(t.frames, FRAMES);
}

#[test]
fn accio_w512_soak() {
    let s = seed::seed();
    println!("accio_w512_soak: SEED={s:#x}");
    let d = AccioNicW512N16C4::new();
    let t = testbench::soak::accio::run(&nic_pins!(d), 512, FRAMES, s, &mut |_| {});
    assert_clean(&t);
    assert!(t.drops_nic > 0 && t.tx > 0, "rings filled, datagrams sent");
}
