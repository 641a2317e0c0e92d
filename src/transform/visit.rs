//! The callback interface shared by the PHP-serialize and JSON walkers.

use super::error::TransformError;

/// Why a value (or part of one) was copied unchanged although it may hold
/// something to rewrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// Looks PHP-serialized (`a:1:{...`) but does not parse as a whole.
    CorruptSerialized,
    /// Plain text with a serialized fragment inside (not serialized as a whole).
    MixedSerialized,
    /// `C:` (Serializable) payload that is not itself serialized data.
    OpaqueCustomObject,
    /// Bytes that are not UTF-8.
    NotUtf8,
    /// Nesting deeper than the walker allows.
    TooDeep,
}

impl SkipReason {
    /// Short stable name used in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::CorruptSerialized => "corrupt serialized value",
            SkipReason::MixedSerialized => "text with a serialized fragment",
            SkipReason::OpaqueCustomObject => "opaque C: object payload",
            SkipReason::NotUtf8 => "not UTF-8",
            SkipReason::TooDeep => "nesting too deep",
        }
    }
}

/// Receives every string leaf (array/object *values*, never keys) of a
/// structured value.
pub trait LeafVisitor {
    /// `key` is the array key / property name / JSON member name the leaf is
    /// stored under (`None` at top level or in JSON arrays). Return the new
    /// bytes to replace the leaf, or `None` to keep it.
    fn leaf(&mut self, key: Option<&[u8]>, value: &[u8])
    -> Result<Option<Vec<u8>>, TransformError>;

    /// A part of the value could not be walked; `bytes` is that part.
    fn skipped(&mut self, reason: SkipReason, bytes: &[u8]) -> Result<(), TransformError>;
}
