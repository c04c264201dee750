//! `prod-unpinned-image`: a prod compose service runs an image with no tag or `latest`.

use std::borrow::Cow;

use crate::discover::FileKind;
use crate::finding::Severity;
use crate::formats::subjects::View;
use crate::rule::{Emitter, EnvScope, Precision, Rule, RuleMeta, Subject, UnitCx};

use super::{PROD, image};

const DOCS: &str = r"## What it does
Flags a prod compose service whose `image:` has no tag or the `latest` tag.
The image is read as `docker compose` runs it: a prod override file
(`docker-compose.prod.yml`) that does not set `image:` keeps the base file's,
and the finding points at the base file's value with the override as a related
location. `${IMAGE:-app:latest}` is judged by its default; an image that is
only a variable (`${IMAGE}`) is not known and is not judged. A digest
(`app@sha256:...`) is a pin; so is any tag other than `latest`. A service that
is built (`build:`) names its result with `image:`, and is not judged.

## Why is this bad?
`latest` (or no tag, which means `latest`) is whatever was pushed last: two
hosts, or the same host after a restart, can run different code, and a
rollback has nothing to roll back to.

## Example
```yaml
# docker-compose.prod.yml
services:
  api:
    image: ghcr.io/acme/api:latest
```

## How to fix
Pin a version, ideally the digest too:

```yaml
services:
  api:
    image: ghcr.io/acme/api:1.14.2@sha256:4c1e...
```
";

static META: RuleMeta = RuleMeta {
    id: Cow::Borrowed("prod-unpinned-image"),
    severity: Severity::Warning,
    summary: Cow::Borrowed("a prod compose service runs an image without a tag or with `latest`"),
    formats: Cow::Borrowed("compose"),
    kinds: Cow::Borrowed(&[FileKind::Compose]),
    scope: EnvScope::Only(Cow::Borrowed(PROD)),
    security: false,
    precision: Precision::VeryHigh,
    default_enabled: true,
    options: None,
    help: Cow::Borrowed("pin the image to a version tag or a digest (`app:1.4.2@sha256:...`)"),
    docs: Cow::Borrowed(DOCS),
};

/// Prod services running floating images.
pub struct UnpinnedImage;

impl Rule for UnpinnedImage {
    fn meta(&self) -> &RuleMeta {
        &META
    }

    fn check_subject(&self, subject: &Subject<'_>, unit: &UnitCx<'_>, out: &mut Emitter<'_>) {
        let Some(View::Service { service, .. }) = &subject.view else { return };
        if service.config.get("build").is_some() {
            return;
        }
        let Some((image, text, at)) = image(&service.config, unit) else { return };
        if image.digest.is_some() {
            return;
        }
        let env = subject.env.as_deref().unwrap_or("prod");
        let message = match image.tag.as_deref() {
            None => format!("image `{text}` of service `{}` has no tag (it means `latest`) in {env}", service.name),
            Some("latest") => format!("image `{text}` of service `{}` is not pinned in {env}", service.name),
            Some(_) => return,
        };
        out.report_in(at, message).anchor(format!("{}:image", service.name));
    }
}
