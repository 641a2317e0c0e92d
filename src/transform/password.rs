//! WordPress password hash for the staging password: the phpass "portable"
//! `$P$B…` format (8192 MD5 rounds, phpass base64 alphabet), which every
//! WordPress version verifies (and 6.8+ upgrades to bcrypt on login).

use md5::{Digest, Md5};
use secrecy::{ExposeSecret, SecretString};

const ITOA64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// log2 of the round count WordPress uses (`$P$B`: 2^13 = 8192).
const COUNT_LOG2: usize = 13;

fn encode64(input: &[u8], out: &mut String) {
    let c = |v: u32| char::from(ITOA64[(v & 0x3f) as usize]);
    for chunk in input.chunks(3) {
        let mut value = u32::from(chunk[0]);
        out.push(c(value));
        if let Some(&b) = chunk.get(1) {
            value |= u32::from(b) << 8;
        }
        out.push(c(value >> 6));
        if chunk.len() < 2 {
            break;
        }
        if let Some(&b) = chunk.get(2) {
            value |= u32::from(b) << 16;
        }
        out.push(c(value >> 12));
        if chunk.len() < 3 {
            break;
        }
        out.push(c(value >> 18));
    }
}

/// phpass `crypt_private` with an 8-character salt from the phpass alphabet.
fn crypt_private(password: &[u8], salt: &str) -> String {
    let mut hash = Md5::new()
        .chain_update(salt.as_bytes())
        .chain_update(password)
        .finalize();
    for _ in 0..(1u32 << COUNT_LOG2) {
        hash = Md5::new()
            .chain_update(hash)
            .chain_update(password)
            .finalize();
    }
    let mut out = String::with_capacity(34);
    out.push_str("$P$");
    out.push(char::from(ITOA64[COUNT_LOG2]));
    out.push_str(salt);
    encode64(&hash, &mut out);
    out
}

/// Hashes `password` in the phpass portable format. `salt_bytes` should be
/// unpredictable (the caller derives them from the run's secret key).
pub fn wordpress_hash(password: &SecretString, salt_bytes: [u8; 6]) -> String {
    let mut salt = String::with_capacity(8);
    encode64(&salt_bytes, &mut salt);
    crypt_private(password.expose_secret().as_bytes(), &salt)
}

/// Checks a password against a `$P$` hash (as WordPress's phpass does).
pub fn check_wordpress_hash(password: &str, hash: &str) -> bool {
    if hash.len() != 34 || !hash.starts_with("$P$B") {
        return false;
    }
    let Some(salt) = hash.get(4..12) else {
        return false;
    };
    crypt_private(password.as_bytes(), salt) == hash
}

#[cfg(test)]
#[path = "tests/password.rs"]
mod tests;
