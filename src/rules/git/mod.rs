//! Rules about what git would commit: dotenv files that are not ignored, or
//! tracked although ignored. They run in the project phase, over git's ignore
//! decisions (`repo::ignore`) and the tracked set (`git ls-files`).

mod dotenv_not_ignored;
mod dotenv_tracked;

pub use dotenv_not_ignored::DotenvNotIgnored;
pub use dotenv_tracked::DotenvTracked;

use crate::discover::FileKind;
use crate::engine::project::{ProjectCx, ProjectFile};

/// The non-template dotenv files of the repository.
fn env_files<'a>(cx: &'a ProjectCx<'_>) -> impl Iterator<Item = &'a ProjectFile> {
    cx.files.iter().filter(|f| f.kind == FileKind::Dotenv && !crate::formats::dotenv::is_template(&f.path))
}
