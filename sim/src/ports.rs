//! Typed access to the ports of a Verilated model.
//!
//! Verilator stores each top-level port of a model in the smallest of `u8` (≤ 8 bits),
//! `u16` (≤ 16), `u32` (≤ 32), `u64` (≤ 64) or, above 64 bits, an array of little-endian
//! `u32` words (word 0 holds bits 31:0). The port types here point straight at that storage,
//! so reading or writing a port is a plain memory access, not an FFI call.
//!
//! * [`Input<S>`] / [`Output<S>`]: ports of up to 64 bits, with `S` the storage type
//!   (`u8`, `u16`, `u32` or `u64`). [`Input::set`] panics if the value does not fit the port
//!   width — masking silently would hide testbench bugs.
//! * [`WideInput`] / [`WideOutput`]: ports wider than 64 bits, accessed as words
//!   ([`WideInput::set_words`]) or bytes ([`WideInput::set_bytes`]; byte 0 is bits 7:0, the
//!   AXI-Stream lane order), or a few bits at a time ([`WideInput::set_bits`]). Reading
//!   into a caller's buffer ([`WideOutput::read_words_into`], [`WideOutput::read_bytes_into`])
//!   does not allocate, unlike [`WideOutput::get_words`]/[`WideOutput::get_bytes`]: use it in
//!   per-cycle loops.
//!
//! Outputs have no setters. All port types also implement [`PortRead`] (and inputs
//! [`PortWrite`]), so helpers can be written once for any bus width, e.g. an AXI-Stream
//! driver that takes `tdata: &impl PortWrite`.
//!
//! # Safety model
//!
//! A port holds a raw pointer into the C++ model owned by the handle it is a field of. Port
//! values cannot be constructed outside generated code (the constructors are `unsafe`), are
//! neither `Clone` nor `Copy`, and handles only give out shared references to them (through
//! `Deref`), so a port can neither be moved out of its handle nor outlive it. C++ code only
//! runs inside calls on the handle, which hold no Rust reference to port storage, and the
//! types are neither `Send` nor `Sync`, so there are no concurrent accesses.

use std::ffi::c_void;
use std::fmt;
use std::ptr::NonNull;

pub(crate) mod sealed {
    /// Storage of a port of up to 64 bits.
    pub trait Storage: Copy + 'static {
        const BITS: u32;
        fn to_u64(self) -> u64;
        /// `v` is known to fit.
        fn from_u64(v: u64) -> Self;
    }

    /// Word-level access shared by every port type (32-bit little-endian words).
    pub trait Words {
        fn word_count(&self) -> usize;
        /// Mask of the valid bits of the top word.
        fn top_mask(&self) -> u32;
        fn load_word(&self, index: usize) -> u32;
        /// `word` is known to fit the port (bits above the width are zero).
        fn store_word(&self, index: usize, word: u32);
        /// Every word; `out.len()` is known to be `word_count()`.
        #[inline]
        fn load_words(&self, out: &mut [u32]) {
            for (i, w) in out.iter_mut().enumerate() {
                *w = self.load_word(i);
            }
        }
        /// The first `src.len()` words, the rest zero; `src` is known to fit the port.
        #[inline]
        fn store_words(&self, src: &[u32]) {
            for i in 0..self.word_count() {
                self.store_word(i, src.get(i).copied().unwrap_or(0));
            }
        }
        /// Every byte (little-endian); `out.len()` is known to be the port's byte count.
        #[inline]
        fn load_bytes(&self, out: &mut [u8]) {
            for (i, chunk) in out.chunks_mut(4).enumerate() {
                let word = self.load_word(i).to_le_bytes();
                chunk.copy_from_slice(&word[..chunk.len()]);
            }
        }
        /// The first `src.len()` bytes (little-endian), the rest zero; `src` is known to fit
        /// the port.
        #[inline]
        fn store_bytes(&self, src: &[u8]) {
            let mut chunks = src.chunks_exact(4);
            let mut i = 0;
            for chunk in &mut chunks {
                let word: [u8; 4] = chunk.try_into().expect("chunks_exact(4)");
                self.store_word(i, u32::from_le_bytes(word));
                i += 1;
            }
            let rest = chunks.remainder();
            if !rest.is_empty() {
                let mut word = [0u8; 4];
                word[..rest.len()].copy_from_slice(rest);
                self.store_word(i, u32::from_le_bytes(word));
                i += 1;
            }
            for j in i..self.word_count() {
                self.store_word(j, 0);
            }
        }
    }
}

/// Storage type of a port of up to 64 bits: `u8`, `u16`, `u32` or `u64`.
pub trait Storage: sealed::Storage {}

macro_rules! storage {
    ($($t:ty),*) => {$(
        impl sealed::Storage for $t {
            const BITS: u32 = <$t>::BITS;
            #[inline]
            fn to_u64(self) -> u64 {
                self as u64
            }
            #[inline]
            fn from_u64(v: u64) -> Self {
                v as $t
            }
        }
        impl Storage for $t {}
    )*};
}
storage!(u8, u16, u32, u64);

/// Bits of the storage Verilator uses for a port of `width` bits (wider ports: 32-bit words).
pub const fn storage_bits(width: u32) -> u32 {
    match width {
        0..=8 => 8,
        9..=16 => 16,
        17..=32 => 32,
        33..=64 => 64,
        _ => 32,
    }
}

/// Mask of the low `width` bits (`width` ≤ 64).
#[inline]
fn mask64(width: u32) -> u64 {
    if width >= 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    }
}

/// Mask of the valid bits of the top word of a `width`-bit value.
#[inline]
fn top_word_mask(width: u32) -> u32 {
    match width % 32 {
        0 => u32::MAX,
        r => (1u32 << r) - 1,
    }
}

#[inline]
fn byte_count(width: u32) -> usize {
    width.div_ceil(8) as usize
}

/// Read access, implemented by every port type.
///
/// Bit `i` of a port is bit `i % 32` of word `i / 32` and bit `i % 8` of byte `i / 8`.
pub trait PortRead: sealed::Words {
    /// Verilog name of the port (e.g. `s_axis_tdata`).
    fn name(&self) -> &'static str;
    /// Width in bits.
    fn width(&self) -> u32;

    /// The value as little-endian 32-bit words (`width.div_ceil(32)` of them). Allocates;
    /// in a loop, prefer [`read_words_into`](Self::read_words_into).
    fn get_words(&self) -> Vec<u32> {
        let mut out = vec![0u32; self.word_count()];
        self.load_words(&mut out);
        out
    }

    /// The value as little-endian bytes (`width.div_ceil(8)` of them; byte 0 = bits 7:0).
    /// Allocates; in a loop, prefer [`read_bytes_into`](Self::read_bytes_into).
    fn get_bytes(&self) -> Vec<u8> {
        let mut out = vec![0u8; byte_count(self.width())];
        self.read_bytes_into(&mut out);
        out
    }

    /// Copies the value into `out` as little-endian 32-bit words, without allocating.
    /// Panics unless `out.len()` is the port's word count (`width.div_ceil(32)`).
    #[inline]
    #[track_caller]
    fn read_words_into(&self, out: &mut [u32]) {
        if out.len() != self.word_count() {
            len_mismatch(
                self.name(),
                self.width(),
                "words",
                self.word_count(),
                out.len(),
            );
        }
        self.load_words(out);
    }

    /// Copies the value into `out` as little-endian bytes (byte 0 = bits 7:0), without
    /// allocating. Panics unless `out.len()` is the port's byte count (`width.div_ceil(8)`).
    #[inline]
    #[track_caller]
    fn read_bytes_into(&self, out: &mut [u8]) {
        let n = byte_count(self.width());
        if out.len() != n {
            len_mismatch(self.name(), self.width(), "bytes", n, out.len());
        }
        self.load_bytes(out);
    }

    /// Bit `index`. Panics if `index >= width`.
    #[track_caller]
    fn bit(&self, index: u32) -> bool {
        check_range(self.name(), self.width(), index, 1);
        (self.load_word((index / 32) as usize) >> (index % 32)) & 1 == 1
    }

    /// `count` (≤ 64) bits starting at bit `lo`, e.g. one `tkeep` field of a wide bundle.
    /// Panics if the range exceeds the port.
    #[track_caller]
    fn get_bits(&self, lo: u32, count: u32) -> u64 {
        check_range(self.name(), self.width(), lo, count);
        let mut out = 0u64;
        let mut done = 0;
        while done < count {
            let bit = lo + done;
            let shift = bit % 32;
            let take = (32 - shift).min(count - done);
            let word = u64::from(self.load_word((bit / 32) as usize) >> shift);
            out |= (word & mask64(take)) << done;
            done += take;
        }
        out
    }

    /// True if every bit is 0.
    fn is_zero(&self) -> bool {
        (0..self.word_count()).all(|i| self.load_word(i) == 0)
    }
}

/// Write access, implemented by input ports only.
///
/// Every setter panics (naming the port) if the value has bits set above the port width.
pub trait PortWrite: PortRead {
    /// Sets the value from little-endian 32-bit words. Fewer words than the port has are
    /// zero-extended; more words, or bits above the width, panic.
    #[inline]
    #[track_caller]
    fn set_words(&self, words: &[u32]) {
        let count = self.word_count();
        if words.len() > count || (words.len() == count && words[count - 1] & !self.top_mask() != 0)
        {
            words_do_not_fit(self.name(), self.width(), words);
        }
        self.store_words(words);
    }

    /// Sets the value from little-endian bytes (byte 0 = bits 7:0, the AXI-Stream lane
    /// order). Fewer bytes than the port holds are zero-extended; more bytes, or bits above
    /// the width, panic.
    #[inline]
    #[track_caller]
    fn set_bytes(&self, bytes: &[u8]) {
        let width = self.width();
        let max = byte_count(width);
        if bytes.len() > max
            || (bytes.len() == max && width % 8 != 0 && bytes[max - 1] >> (width % 8) != 0)
        {
            bytes_do_not_fit(self.name(), width, bytes);
        }
        self.store_bytes(bytes);
    }

    /// Sets bit `index` to `value`. Panics if `index >= width`.
    #[track_caller]
    fn set_bit(&self, index: u32, value: bool) {
        check_range(self.name(), self.width(), index, 1);
        let w = (index / 32) as usize;
        let m = 1u32 << (index % 32);
        let old = self.load_word(w);
        self.store_word(w, if value { old | m } else { old & !m });
    }

    /// Sets `count` (≤ 64) bits starting at bit `lo` to `value`, leaving the others alone.
    /// Panics if the range exceeds the port or `value` does not fit in `count` bits.
    #[track_caller]
    fn set_bits(&self, lo: u32, count: u32, value: u64) {
        let name = self.name();
        check_range(name, self.width(), lo, count);
        if value & !mask64(count) != 0 {
            panic!("value {value:#x} does not fit in {count} bits (bits {lo}+ of port `{name}`)");
        }
        let mut done = 0;
        while done < count {
            let bit = lo + done;
            let shift = bit % 32;
            let take = (32 - shift).min(count - done);
            let field = (mask64(take) as u32) << shift;
            let w = (bit / 32) as usize;
            let part = (((value >> done) & mask64(take)) as u32) << shift;
            self.store_word(w, (self.load_word(w) & !field) | part);
            done += take;
        }
    }

    /// Sets every bit to 0.
    fn clear(&self) {
        for i in 0..self.word_count() {
            self.store_word(i, 0);
        }
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn value_does_not_fit(value: u64, width: u32, name: &str) -> ! {
    panic!(
        "value {value:#x} does not fit {width}-bit port `{name}` (max {:#x})",
        mask64(width)
    );
}

#[cold]
#[inline(never)]
#[track_caller]
fn words_do_not_fit(name: &str, width: u32, words: &[u32]) -> ! {
    let count = width.div_ceil(32) as usize;
    if words.len() > count {
        panic!(
            "port `{name}` is {width} bits ({count} words) wide; got {} words",
            words.len()
        );
    }
    panic!(
        "port `{name}` is {width} bits wide; word {} = {:#010x} has bits above the width",
        count - 1,
        words[count - 1]
    );
}

#[cold]
#[inline(never)]
#[track_caller]
fn bytes_do_not_fit(name: &str, width: u32, bytes: &[u8]) -> ! {
    let max = byte_count(width);
    if bytes.len() > max {
        panic!(
            "port `{name}` is {width} bits ({max} bytes) wide; got {} bytes",
            bytes.len()
        );
    }
    panic!(
        "port `{name}` is {width} bits wide; byte {} = {:#04x} has bits above the width",
        max - 1,
        bytes[max - 1]
    );
}

#[cold]
#[inline(never)]
#[track_caller]
fn len_mismatch(name: &str, width: u32, unit: &str, expected: usize, got: usize) -> ! {
    panic!("port `{name}` is {width} bits ({expected} {unit}) wide; the buffer holds {got} {unit}")
}

#[track_caller]
fn check_range(name: &str, width: u32, lo: u32, count: u32) {
    if count > 64 || lo.checked_add(count).is_none_or(|end| end > width) {
        panic!(
            "bits {lo}..{} out of range for port `{name}` ({width} bits; at most 64 at a time)",
            u64::from(lo) + u64::from(count)
        );
    }
}

#[track_caller]
fn check_narrow<S: Storage>(ptr: *mut c_void, name: &str, width: u32) -> NonNull<S> {
    assert!(
        (1..=64).contains(&width) && storage_bits(width) == S::BITS,
        "port `{name}`: {width} bits are not stored in a u{}",
        S::BITS
    );
    let ptr = NonNull::new(ptr.cast::<S>()).unwrap_or_else(|| panic!("port `{name}`: null"));
    assert!(
        ptr.as_ptr().is_aligned(),
        "port `{name}`: misaligned storage"
    );
    ptr
}

#[track_caller]
fn check_wide(ptr: *mut c_void, name: &str, width: u32) -> NonNull<u32> {
    assert!(
        width > 64,
        "port `{name}`: {width} bits are not stored as words"
    );
    let ptr = NonNull::new(ptr.cast::<u32>()).unwrap_or_else(|| panic!("port `{name}`: null"));
    assert!(
        ptr.as_ptr().is_aligned(),
        "port `{name}`: misaligned storage"
    );
    ptr
}

fn fmt_port(f: &mut fmt::Formatter<'_>, kind: &str, port: &dyn PortRead) -> fmt::Result {
    write!(f, "{kind}({}[{}] = 0x", port.name(), port.width())?;
    let words = port.get_words();
    let top = words.len() - 1;
    write!(f, "{:x}", words[top])?;
    for w in words[..top].iter().rev() {
        write!(f, "_{w:08x}")?;
    }
    write!(f, ")")
}

// ---------------------------------------------------------------------------------------
// References

// A reference to a port is a port, so that code which takes `&port` of a handle's field
// (`&dut.m_axi.awid`, a `&Input<u8>`) takes the same field of a view
// (`&view.m_axi.awid`, a `&&dyn PortWrite`) as well.

impl<T: sealed::Words + ?Sized> sealed::Words for &T {
    #[inline]
    fn word_count(&self) -> usize {
        (**self).word_count()
    }
    #[inline]
    fn top_mask(&self) -> u32 {
        (**self).top_mask()
    }
    #[inline]
    fn load_word(&self, index: usize) -> u32 {
        (**self).load_word(index)
    }
    #[inline]
    fn store_word(&self, index: usize, word: u32) {
        (**self).store_word(index, word)
    }
    #[inline]
    fn load_words(&self, out: &mut [u32]) {
        (**self).load_words(out)
    }
    #[inline]
    fn store_words(&self, src: &[u32]) {
        (**self).store_words(src)
    }
    #[inline]
    fn load_bytes(&self, out: &mut [u8]) {
        (**self).load_bytes(out)
    }
    #[inline]
    fn store_bytes(&self, src: &[u8]) {
        (**self).store_bytes(src)
    }
}

impl<T: PortRead + ?Sized> PortRead for &T {
    #[inline]
    fn name(&self) -> &'static str {
        (**self).name()
    }
    #[inline]
    fn width(&self) -> u32 {
        (**self).width()
    }
}

impl<T: PortWrite + ?Sized> PortWrite for &T {}

// ---------------------------------------------------------------------------------------
// Ports of up to 64 bits

macro_rules! narrow_port {
    ($(#[$doc:meta])* $ty:ident, $kind:literal) => {
        $(#[$doc])*
        pub struct $ty<S: Storage> {
            ptr: NonNull<S>,
            /// Largest value (`width` ones), kept so that `set` checks with one compare.
            max: u64,
            width: u32,
            name: &'static str,
        }

        impl<S: Storage> $ty<S> {
            /// Wraps the storage of a model port.
            ///
            /// # Safety
            /// `ptr` must point to the storage of a `width`-bit port of type `S` inside a
            /// live Verilated model, and that model must outlive the returned value and be
            /// accessed by one thread at a time. Only generated code calls this.
            #[doc(hidden)]
            #[track_caller]
            pub unsafe fn from_raw(ptr: *mut c_void, name: &'static str, width: u32) -> Self {
                Self { ptr: check_narrow::<S>(ptr, name, width), max: mask64(width), width, name }
            }

            /// Verilog name of the port.
            #[inline]
            pub fn name(&self) -> &'static str {
                self.name
            }

            /// Width in bits.
            #[inline]
            pub fn width(&self) -> u32 {
                self.width
            }

            /// Current value.
            #[inline]
            pub fn get(&self) -> u64 {
                // SAFETY: `from_raw`'s contract: valid, aligned, no concurrent access.
                unsafe { self.ptr.as_ptr().read() }.to_u64()
            }

            /// True if the value is not 0 (for 1-bit strobes like `tvalid`).
            #[inline]
            pub fn get_bool(&self) -> bool {
                self.get() != 0
            }

            /// Largest value the port can hold.
            #[inline]
            pub fn max_value(&self) -> u64 {
                self.max
            }
        }

        impl<S: Storage> sealed::Words for $ty<S> {
            #[inline]
            fn word_count(&self) -> usize {
                self.width.div_ceil(32) as usize
            }
            #[inline]
            fn top_mask(&self) -> u32 {
                top_word_mask(self.width)
            }
            #[inline]
            fn load_word(&self, index: usize) -> u32 {
                (self.get() >> (32 * index)) as u32
            }
            #[inline]
            fn store_word(&self, index: usize, word: u32) {
                let shift = 32 * index as u32;
                let old = self.get() & !(u64::from(u32::MAX) << shift);
                let new = old | (u64::from(word) << shift);
                // SAFETY: as in `get`; `word` fits the width, so `new` fits in `S`.
                unsafe { self.ptr.as_ptr().write(S::from_u64(new)) }
            }
        }

        impl<S: Storage> PortRead for $ty<S> {
            #[inline]
            fn name(&self) -> &'static str {
                self.name
            }
            #[inline]
            fn width(&self) -> u32 {
                self.width
            }
        }

        impl<S: Storage> fmt::Debug for $ty<S> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt_port(f, $kind, self)
            }
        }
    };
}

narrow_port!(
    /// An input port of up to 64 bits stored as `S` (`u8`, `u16`, `u32` or `u64`).
    Input,
    "Input"
);
narrow_port!(
    /// An output port of up to 64 bits stored as `S` (`u8`, `u16`, `u32` or `u64`).
    Output,
    "Output"
);

impl<S: Storage> Input<S> {
    /// Sets the value. Panics, naming the port, if `value` does not fit the port width.
    #[inline]
    #[track_caller]
    pub fn set(&self, value: u64) {
        if value > self.max {
            value_does_not_fit(value, self.width, self.name);
        }
        // SAFETY: `from_raw`'s contract: valid, aligned, no concurrent access.
        unsafe { self.ptr.as_ptr().write(S::from_u64(value)) }
    }

    /// Sets the value to 1 (`true`) or 0 (`false`).
    #[inline]
    pub fn set_bool(&self, value: bool) {
        self.set(u64::from(value))
    }
}

impl<S: Storage> PortWrite for Input<S> {}

// ---------------------------------------------------------------------------------------
// Ports of more than 64 bits

/// Inherent forwarders so that wide ports need no trait import.
macro_rules! wide_read_methods {
    () => {
        /// Verilog name of the port.
        #[inline]
        pub fn name(&self) -> &'static str {
            self.name
        }

        /// Width in bits.
        #[inline]
        pub fn width(&self) -> u32 {
            self.width
        }

        /// Number of 32-bit words (`width.div_ceil(32)`).
        #[inline]
        pub fn words(&self) -> usize {
            self.words
        }

        /// Word `index` (bits `32*index+31 .. 32*index`). Panics if out of range.
        #[inline]
        #[track_caller]
        pub fn word(&self, index: usize) -> u32 {
            assert!(
                index < self.words,
                "word {index} out of range for port `{}` ({} words)",
                self.name,
                self.words
            );
            sealed::Words::load_word(self, index)
        }

        /// See [`PortRead::get_words`].
        pub fn get_words(&self) -> Vec<u32> {
            PortRead::get_words(self)
        }

        /// See [`PortRead::get_bytes`].
        pub fn get_bytes(&self) -> Vec<u8> {
            PortRead::get_bytes(self)
        }

        /// See [`PortRead::read_words_into`] (no allocation).
        #[inline]
        #[track_caller]
        pub fn read_words_into(&self, out: &mut [u32]) {
            PortRead::read_words_into(self, out)
        }

        /// See [`PortRead::read_bytes_into`] (no allocation).
        #[inline]
        #[track_caller]
        pub fn read_bytes_into(&self, out: &mut [u8]) {
            PortRead::read_bytes_into(self, out)
        }

        /// See [`PortRead::bit`].
        #[track_caller]
        pub fn bit(&self, index: u32) -> bool {
            PortRead::bit(self, index)
        }

        /// See [`PortRead::get_bits`].
        #[track_caller]
        pub fn get_bits(&self, lo: u32, count: u32) -> u64 {
            PortRead::get_bits(self, lo, count)
        }

        /// See [`PortRead::is_zero`].
        pub fn is_zero(&self) -> bool {
            PortRead::is_zero(self)
        }
    };
}

macro_rules! wide_port {
    ($(#[$doc:meta])* $ty:ident, $kind:literal) => {
        $(#[$doc])*
        pub struct $ty {
            ptr: NonNull<u32>,
            words: usize,
            width: u32,
            /// Mask of the valid bits of the top word.
            top_mask: u32,
            name: &'static str,
        }

        impl $ty {
            /// Wraps the storage of a model port.
            ///
            /// # Safety
            /// `ptr` must point to the `width.div_ceil(32)` words of a `width`-bit port
            /// inside a live Verilated model, and that model must outlive the returned value
            /// and be accessed by one thread at a time. Only generated code calls this.
            #[doc(hidden)]
            #[track_caller]
            pub unsafe fn from_raw(ptr: *mut c_void, name: &'static str, width: u32) -> Self {
                let ptr = check_wide(ptr, name, width);
                Self {
                    ptr,
                    words: width.div_ceil(32) as usize,
                    width,
                    top_mask: top_word_mask(width),
                    name,
                }
            }

            wide_read_methods!();
        }

        impl sealed::Words for $ty {
            #[inline]
            fn word_count(&self) -> usize {
                self.words
            }
            #[inline]
            fn top_mask(&self) -> u32 {
                self.top_mask
            }
            #[inline]
            fn load_word(&self, index: usize) -> u32 {
                assert!(index < self.words);
                // SAFETY: in bounds; `from_raw`'s contract: valid, aligned, no concurrency.
                unsafe { self.ptr.as_ptr().add(index).read() }
            }
            #[inline]
            fn store_word(&self, index: usize, word: u32) {
                assert!(index < self.words);
                // SAFETY: as in `load_word`.
                unsafe { self.ptr.as_ptr().add(index).write(word) }
            }
            // Bulk copies (the callers' lengths are often constants, so these become a few
            // vector moves).
            #[inline]
            fn load_words(&self, out: &mut [u32]) {
                assert_eq!(out.len(), self.words);
                // SAFETY: `words` words at `ptr` (`from_raw`'s contract); `out` is a distinct
                // Rust buffer of the same length.
                unsafe {
                    std::ptr::copy_nonoverlapping(self.ptr.as_ptr(), out.as_mut_ptr(), out.len())
                }
            }
            #[inline]
            fn store_words(&self, src: &[u32]) {
                assert!(src.len() <= self.words);
                // SAFETY: as in `load_words`; `src.len() <= words`, the rest is zeroed.
                unsafe {
                    let dst = self.ptr.as_ptr();
                    std::ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len());
                    if src.len() < self.words {
                        std::ptr::write_bytes(dst.add(src.len()), 0, self.words - src.len());
                    }
                }
            }
            #[cfg(target_endian = "little")]
            #[inline]
            fn load_bytes(&self, out: &mut [u8]) {
                assert!(out.len() <= 4 * self.words);
                // SAFETY: as in `load_words`; on a little-endian machine the words' bytes are
                // the port's bytes in order, and `out` does not exceed them.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        self.ptr.as_ptr().cast::<u8>(),
                        out.as_mut_ptr(),
                        out.len(),
                    )
                }
            }
            #[cfg(target_endian = "little")]
            #[inline]
            fn store_bytes(&self, src: &[u8]) {
                let total = 4 * self.words;
                assert!(src.len() <= total);
                // SAFETY: as in `load_bytes`; the bytes after `src` are zeroed.
                unsafe {
                    let dst = self.ptr.as_ptr().cast::<u8>();
                    std::ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len());
                    if src.len() < total {
                        std::ptr::write_bytes(dst.add(src.len()), 0, total - src.len());
                    }
                }
            }
        }

        impl PortRead for $ty {
            #[inline]
            fn name(&self) -> &'static str {
                self.name
            }
            #[inline]
            fn width(&self) -> u32 {
                self.width
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt_port(f, $kind, self)
            }
        }
    };
}

wide_port!(
    /// An input port of more than 64 bits, stored as little-endian 32-bit words.
    WideInput,
    "WideInput"
);
wide_port!(
    /// An output port of more than 64 bits, stored as little-endian 32-bit words.
    WideOutput,
    "WideOutput"
);

impl WideInput {
    /// See [`PortWrite::set_words`].
    #[inline]
    #[track_caller]
    pub fn set_words(&self, words: &[u32]) {
        PortWrite::set_words(self, words)
    }

    /// See [`PortWrite::set_bytes`].
    #[inline]
    #[track_caller]
    pub fn set_bytes(&self, bytes: &[u8]) {
        PortWrite::set_bytes(self, bytes)
    }

    /// See [`PortWrite::set_bit`].
    #[inline]
    #[track_caller]
    pub fn set_bit(&self, index: u32, value: bool) {
        PortWrite::set_bit(self, index, value)
    }

    /// See [`PortWrite::set_bits`].
    #[inline]
    #[track_caller]
    pub fn set_bits(&self, lo: u32, count: u32, value: u64) {
        PortWrite::set_bits(self, lo, count, value)
    }

    /// See [`PortWrite::clear`].
    #[inline]
    pub fn clear(&self) {
        PortWrite::clear(self)
    }
}

impl PortWrite for WideInput {}

#[cfg(test)]
mod tests {
    use super::*;

    fn narrow<S: Storage>(cell: &mut S, width: u32) -> Input<S> {
        unsafe { Input::from_raw((cell as *mut S).cast(), "p", width) }
    }

    fn wide(words: &mut [u32], width: u32) -> WideInput {
        assert_eq!(words.len(), width.div_ceil(32) as usize);
        unsafe { WideInput::from_raw(words.as_mut_ptr().cast(), "w", width) }
    }

    #[test]
    fn narrow_set_get_and_range() {
        let mut cell = 0u64;
        let p = narrow(&mut cell, 33);
        p.set((1 << 33) - 1);
        assert_eq!(p.get(), (1 << 33) - 1);
        assert_eq!(p.get_words(), vec![u32::MAX, 1]);
        assert_eq!(p.get_bytes(), vec![0xff, 0xff, 0xff, 0xff, 0x01]);
        p.set_bits(31, 2, 0b01);
        assert_eq!(p.get(), (1 << 33) - 1 - (1 << 32));
        p.set_words(&[5]);
        assert_eq!(p.get(), 5);
        assert!(std::panic::catch_unwind(|| p.set(1 << 33)).is_err());
        assert!(std::panic::catch_unwind(|| PortWrite::set_words(&p, &[0, 2])).is_err());
        let _ = p;
        assert_eq!(cell, 5);
    }

    #[test]
    fn storage_class_is_checked() {
        let mut c = 0u8;
        let r = std::panic::catch_unwind(move || unsafe {
            Input::<u8>::from_raw((&mut c as *mut u8).cast(), "x", 9)
        });
        assert!(r.is_err());
    }

    #[test]
    fn wide_words_bytes_bits() {
        let mut buf = [0u32; 3];
        let p = wide(&mut buf, 72);
        let bytes: Vec<u8> = (1..=9).collect();
        p.set_bytes(&bytes);
        assert_eq!(p.get_words(), vec![0x0403_0201, 0x0807_0605, 0x09]);
        assert_eq!(p.get_bytes(), bytes);
        assert_eq!(p.get_bits(4, 64), 0x9080_7060_5040_3020);
        p.set_bits(60, 8, 0xab);
        assert_eq!(p.get_bits(60, 8), 0xab);
        assert_eq!(p.get_words()[0], 0x0403_0201);
        p.set_bit(71, true);
        assert!(p.bit(71));
        assert!(std::panic::catch_unwind(|| p.set_bit(72, true)).is_err());
        assert!(std::panic::catch_unwind(|| p.set_words(&[0, 0, 0x100])).is_err());
        assert!(std::panic::catch_unwind(|| p.set_bytes(&[0; 10])).is_err());
        p.set_bytes(&[0xee]);
        assert_eq!(p.get_words(), vec![0xee, 0, 0]);
        p.clear();
        assert!(p.is_zero());
        assert_eq!(format!("{p:?}"), "WideInput(w[72] = 0x0_00000000_00000000)");
    }

    #[test]
    fn reads_into_caller_buffers() {
        let mut buf = [0u32; 3];
        let p = wide(&mut buf, 72);
        let bytes: Vec<u8> = (0x11..=0x19).collect();
        p.set_bytes(&bytes);
        let mut words = [0u32; 3];
        p.read_words_into(&mut words);
        assert_eq!(words, [0x1413_1211, 0x1817_1615, 0x19]);
        let mut out = [0u8; 9];
        p.read_bytes_into(&mut out);
        assert_eq!(out.as_slice(), bytes.as_slice());
        let msg = std::panic::catch_unwind(|| p.read_words_into(&mut [0u32; 2]))
            .unwrap_err()
            .downcast::<String>()
            .unwrap();
        assert!(msg.contains("port `w`") && msg.contains("3 words"), "{msg}");
        assert!(std::panic::catch_unwind(|| p.read_bytes_into(&mut [0u8; 12])).is_err());
        // Bytes beyond the given ones are cleared, also in the top word.
        p.set_bytes(&[1, 2, 3, 4, 5]);
        assert_eq!(p.get_words(), vec![0x0403_0201, 5, 0]);

        let mut cell = 0u64;
        let n = narrow(&mut cell, 40);
        n.set(0xab_1234_5678);
        let mut out = [0u8; 5];
        n.read_bytes_into(&mut out);
        assert_eq!(out, [0x78, 0x56, 0x34, 0x12, 0xab]);
        let mut words = [0u32; 2];
        n.read_words_into(&mut words);
        assert_eq!(words, [0x1234_5678, 0xab]);
        n.set_bytes(&[0xff; 5]);
        assert_eq!(n.get(), 0xff_ffff_ffff);
        assert_eq!(n.max_value(), 0xff_ffff_ffff);
    }
}
