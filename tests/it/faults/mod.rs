//! The fault suite (issue 8): the real binary is stopped at a named phase and killed there, cut
//! off, its server restarted, its volume filled or its lock taken away; each case checks what is
//! left, what was said, and that a rerun repairs everything.

mod bad_input;
mod case;
mod cases;
mod disk;
pub mod harness;
mod table;
