//! Rules about compose services as `docker compose` runs them: a base file
//! merged with its override file (the override gives the environment), with
//! `extends:` applied (see `formats::compose`). A value a prod override leaves
//! in place in the base file is reported in the base file, with the override
//! as a related location.

mod db_port_published;
mod source_mount;
mod unpinned_image;

pub use db_port_published::DbPortPublished;
pub use source_mount::SourceMount;
pub use unpinned_image::UnpinnedImage;

use std::borrow::Cow;

use crate::formats::compose::syntax::{Image, interpolate};
use crate::formats::located::Located;
use crate::rule::{Loc, UnitCx};
use crate::span::Span;

/// The scope of the compose rules: prod.
pub(crate) const PROD: &[Cow<'static, str>] = &[Cow::Borrowed("prod")];

/// A service's image, interpolated: the reference, its text, and where the text
/// is written (narrowed to a `${VAR:-default}` default when that is all of it).
pub(crate) fn image(config: &Located<'_>, unit: &UnitCx<'_>) -> Option<(Image, String, Loc)> {
    let node = config.get("image")?;
    let raw = node.scalar_text()?;
    let text = interpolate(&raw)?.into_owned();
    let image = Image::parse(&text)?;
    Some((image, text.clone(), narrowed(&node, &text, unit)))
}

/// `at`'s location, narrowed to where `text` is written inside it (when it is).
pub(crate) fn narrowed(at: &Located<'_>, text: &str, unit: &UnitCx<'_>) -> Loc {
    let loc = at.loc();
    let written = unit.text(loc);
    match written.find(text) {
        Some(i) if !text.is_empty() && written != text => Loc {
            file: loc.file,
            span: Span::new(loc.span.start as usize + i, loc.span.start as usize + i + text.len()),
        },
        _ => loc,
    }
}

/// An item of a list as written, for messages (`.:/app`, `5432:5432`); the
/// long syntax as `long`, which the caller renders from what it parsed.
pub(crate) fn shown(item: &Located<'_>, long: impl FnOnce() -> String) -> String {
    match item.scalar_text() {
        Some(t) => t.into_owned(),
        None => long(),
    }
}
