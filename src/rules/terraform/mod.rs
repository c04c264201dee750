//! Rules over Terraform roots evaluated per environment: required tags, the
//! environment tag, prod databases.

mod invalid_env_tag;
mod missing_required_tags;
mod prod_db_no_deletion_protection;
mod prod_db_public;
mod prod_db_unencrypted;

pub use invalid_env_tag::InvalidEnvTag;
pub use missing_required_tags::MissingRequiredTags;
pub use prod_db_no_deletion_protection::ProdDbNoDeletionProtection;
pub use prod_db_public::ProdDbPublic;
pub use prod_db_unencrypted::ProdDbUnencrypted;

use crate::formats::terraform::module::{RootEval, TfResource};
use crate::formats::terraform::value::Val;
use crate::rule::{Emitter, Loc};
use crate::span::Span;

/// A database attribute as a prod rule judges it.
enum Setting {
    /// Not set: the provider's default applies.
    Absent,
    /// Set, with the attribute key's span and its value.
    Set(Span, Val),
}

fn setting(ev: &RootEval<'_>, r: &TfResource<'_>, name: &str) -> Setting {
    ev.attr(r, name).map_or(Setting::Absent, |(span, v)| Setting::Set(span, v))
}

/// Whether an attribute is set to something known other than null.
fn is_set(ev: &RootEval<'_>, r: &TfResource<'_>, name: &str) -> bool {
    match setting(ev, r, name) {
        Setting::Absent => false,
        Setting::Set(_, v) => !v.is_null(),
    }
}

/// Reports at an attribute; when its value is written elsewhere (a tfvars file,
/// a local), that place is a related location.
fn report_attr(out: &mut Emitter<'_>, r: &TfResource<'_>, key: Span, value: &Val, message: String, attr: &str) {
    let at = Loc { file: r.file, span: key };
    let mut report = out.report_in(at, message).anchor(format!("{}.{attr}", r.address()));
    if let Some(origin) = value.origin {
        let inside = origin.file == r.file
            && r.res.body.span.start <= origin.span.start
            && origin.span.end <= r.res.body.span.end;
        if !inside {
            report = report.related(origin, format!("{attr} is set to {} here", value.describe()));
        }
    }
    let _ = report;
}
