//! Constant bit vectors of any width (a 1024-bit cache line is an ordinary value).

use std::fmt;

/// A constant of `width` bits, stored as little-endian 64-bit words.
/// Bits above `width` are always zero, so equality is structural.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Bits {
    width: u32,
    words: Vec<u64>,
}

impl Bits {
    pub fn zero(width: u32) -> Self {
        Bits {
            width,
            words: vec![0; words_for(width)],
        }
    }

    pub fn ones(width: u32) -> Self {
        let mut b = Bits {
            width,
            words: vec![u64::MAX; words_for(width)],
        };
        b.mask_top();
        b
    }

    /// `value` as a `width`-bit constant, or `None` if it does not fit.
    pub fn from_u64(value: u64, width: u32) -> Option<Self> {
        if width < 64 && value >> width != 0 {
            return None;
        }
        let mut b = Bits::zero(width);
        if let Some(w) = b.words.first_mut() {
            *w = value;
        }
        Some(b)
    }

    /// Little-endian bytes (byte 0 = bits 7:0); extra high bits must be zero.
    pub fn from_le_bytes(bytes: &[u8], width: u32) -> Option<Self> {
        let mut b = Bits::zero(width);
        for (i, &byte) in bytes.iter().enumerate() {
            for bit in 0..8 {
                if byte >> bit & 1 == 1 {
                    let pos = i as u32 * 8 + bit;
                    if pos >= width {
                        return None;
                    }
                    b.set_bit(pos, true);
                }
            }
        }
        Some(b)
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn bit(&self, i: u32) -> bool {
        i < self.width && self.words[(i / 64) as usize] >> (i % 64) & 1 == 1
    }

    pub fn set_bit(&mut self, i: u32, v: bool) {
        assert!(i < self.width, "bit {i} outside a {}-bit value", self.width);
        let w = &mut self.words[(i / 64) as usize];
        if v {
            *w |= 1 << (i % 64);
        } else {
            *w &= !(1 << (i % 64));
        }
    }

    pub fn is_zero(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// The value if it fits in 64 bits.
    pub fn to_u64(&self) -> Option<u64> {
        if self.words.iter().skip(1).any(|&w| w != 0) {
            return None;
        }
        Some(self.words.first().copied().unwrap_or(0))
    }

    pub fn words(&self) -> &[u64] {
        &self.words
    }

    fn mask_top(&mut self) {
        let rem = self.width % 64;
        if rem != 0 {
            if let Some(last) = self.words.last_mut() {
                *last &= (1u64 << rem) - 1;
            }
        }
    }

    /// Verilog literal: `1'b0`, `8'd17`, `32'h4143_4349`; always sized, so no WIDTH
    /// warnings. Fields of up to a byte read best in decimal, wider values (magic numbers,
    /// masks, addresses) in hex grouped by 16 bits.
    pub fn to_verilog(&self) -> String {
        if self.width == 1 {
            return format!("1'b{}", u8::from(self.bit(0)));
        }
        match self.to_u64() {
            Some(v) if self.width <= 8 => format!("{}'d{}", self.width, v),
            _ => format!("{}'h{}", self.width, self.hex()),
        }
    }

    fn hex(&self) -> String {
        let digits = self.width.div_ceil(4) as usize;
        let mut s = String::with_capacity(digits);
        for d in (0..digits).rev() {
            let mut nib = 0u8;
            for b in 0..4 {
                if self.bit(d as u32 * 4 + b) {
                    nib |= 1 << b;
                }
            }
            s.push(char::from_digit(nib as u32, 16).unwrap());
        }
        let trimmed = s.trim_start_matches('0');
        let digits: Vec<char> = if trimmed.is_empty() {
            vec!['0']
        } else {
            trimmed.chars().collect()
        };
        if digits.len() <= 4 {
            return digits.into_iter().collect();
        }
        let groups: Vec<String> = digits
            .rchunks(4)
            .rev()
            .map(|g| g.iter().collect())
            .collect();
        groups.join("_")
    }
}

fn words_for(width: u32) -> usize {
    (width as usize).div_ceil(64).max(1)
}

impl fmt::Debug for Bits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_verilog())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_sized() {
        assert_eq!(Bits::from_u64(1, 1).unwrap().to_verilog(), "1'b1");
        assert_eq!(Bits::from_u64(17, 8).unwrap().to_verilog(), "8'd17");
        assert_eq!(Bits::from_u64(255, 8).unwrap().to_verilog(), "8'd255");
        assert_eq!(Bits::from_u64(64, 16).unwrap().to_verilog(), "16'h40");
        assert_eq!(
            Bits::from_u64(0x4143_4349, 32).unwrap().to_verilog(),
            "32'h4143_4349"
        );
        assert_eq!(Bits::ones(68).to_verilog(), "68'hf_ffff_ffff_ffff_ffff");
        assert_eq!(Bits::zero(1024).to_verilog(), "1024'h0");
        assert!(Bits::from_u64(256, 8).is_none());
    }

    #[test]
    fn bytes_round_trip() {
        let b = Bits::from_le_bytes(&[0x34, 0x12], 16).unwrap();
        assert_eq!(b.to_u64(), Some(0x1234));
        assert!(Bits::from_le_bytes(&[0, 2], 9).is_none());
    }
}
