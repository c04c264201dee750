//! Byte spans into a source text. Pure data: depends on nothing else in the crate.

use serde::Serialize;

/// A half-open byte range `start..end` into one file's text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    /// A span from byte offsets; offsets past `u32::MAX` saturate (files that large are skipped).
    pub fn new(start: usize, end: usize) -> Self {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        let (start, end) = (clamp(start), clamp(end));
        Self { start, end: end.max(start) }
    }

    /// An empty span at `offset`.
    pub fn at(offset: usize) -> Self {
        Self::new(offset, offset)
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The smallest span covering both.
    #[must_use]
    pub fn cover(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// This span shifted right by `by` bytes (for spans computed inside a substring).
    #[must_use]
    pub fn shift(self, by: usize) -> Span {
        Span::new(self.start as usize + by, self.end as usize + by)
    }
}

/// A value with the span it came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Spanned<T> {
    pub span: Span,
    pub value: T,
}

impl<T> Spanned<T> {
    pub fn new(span: Span, value: T) -> Self {
        Self { span, value }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cover_and_shift() {
        let a = Span::new(3, 5);
        let b = Span::new(10, 12);
        assert_eq!(a.cover(b), Span::new(3, 12));
        assert_eq!(b.cover(a), Span::new(3, 12));
        assert_eq!(a.shift(2), Span::new(5, 7));
        assert_eq!(Span::new(7, 2), Span::new(7, 7), "end never precedes start");
        assert_eq!(Span::at(4).len(), 0);
    }
}
