//! Terraform root modules: the `.tf` files of one folder with their variables,
//! locals, providers and resources, evaluated once per environment.
//!
//! A folder's unit holds its `.tf` and `.tfvars` files, and (brought in by the
//! context pass, see [`super::layout`]) the tfvars of sub-folders that hold only
//! tfvars (`env/prod.tfvars`, `config/production.tfvars.json`) and the
//! `terragrunt.hcl` files whose `terraform { source }` is this folder. From them:
//!
//! - **variants**: one per environment's variable file (a tfvars file that
//!   Terraform does not load on its own: `prod.tfvars`, `env/prod.tfvars`), one
//!   per terragrunt file driving the folder, else one with what Terraform always
//!   loads. Each has an environment: its file's, else the root's. A finding made
//!   while evaluating a variant carries the variant's environment.
//! - **variable values**, lowest precedence first: the default, terragrunt
//!   `inputs`, `terraform.tfvars`, `terraform.tfvars.json`, `*.auto.tfvars(.json)`
//!   in name order, the variant's variable file.
//! - **shared modules**: a folder called by a module block elsewhere in the
//!   repository (a local `source`), or one without provider blocks and backend,
//!   that no tfvars or terragrunt file drives. Its variables come from its
//!   callers: they are unknown (not their defaults), and so are its providers'
//!   default tags.

use std::cell::{OnceCell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::discover::FileKind;
use crate::env::{Env, EnvTable};
use crate::model::Node;
use crate::rule::{FileRef, Loc, Subject, SubjectCarrier, SubjectKind, UnitFile};
use crate::span::Span;

use super::eval::{Budget, Evaluator, Fail, NoScope, Resolve};
use super::layout::Layout;
use super::tags::{Effective, effective};
use super::value::{Kind, Val};
use super::{Resource, resources};

/// Most variants evaluated for one root.
const MAX_VARIANTS: usize = 32;

/// A `variable` block.
pub struct VarDecl<'a> {
    pub file: FileRef,
    pub default: Option<&'a Node>,
}

/// A `provider "NAME" { ... }` block.
pub struct Provider<'a> {
    pub name: &'a str,
    pub alias: Option<String>,
    pub file: FileRef,
    pub body: &'a Node,
}

/// A resource of the module, with its file.
pub struct TfResource<'a> {
    pub res: Resource<'a>,
    pub file: FileRef,
}

impl TfResource<'_> {
    /// `TYPE.NAME`
    pub fn address(&self) -> String {
        format!("{}.{}", self.res.kind, self.res.name)
    }

    pub fn header(&self) -> Loc {
        Loc { file: self.file, span: self.res.header }
    }
}

/// The `.tf` files of one folder.
pub struct Module<'a> {
    /// The folder, relative to the repository root (`""` at the root).
    pub dir: String,
    pub tf: Vec<FileRef>,
    pub variables: BTreeMap<&'a str, VarDecl<'a>>,
    pub locals: BTreeMap<&'a str, (FileRef, &'a Node)>,
    pub providers: Vec<Provider<'a>>,
    pub resources: Vec<TfResource<'a>>,
    /// A `terraform { backend ... }` or `cloud` block.
    pub backend: bool,
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn name_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

impl<'a> Module<'a> {
    /// The module of a unit's own `.tf` files (`None` when it has none that parsed).
    pub fn of(files: &'a [UnitFile]) -> Option<Module<'a>> {
        let tf: Vec<FileRef> = (0..files.len())
            .filter(|&i| files[i].kind == FileKind::Terraform && !files[i].context && files[i].doc.is_some())
            .map(|i| i as FileRef)
            .collect();
        let first = *tf.first()?;
        let mut m = Module {
            dir: dir_of(&files[first as usize].source.path).to_owned(),
            tf: tf.clone(),
            variables: BTreeMap::new(),
            locals: BTreeMap::new(),
            providers: Vec::new(),
            resources: Vec::new(),
            backend: false,
        };
        for &f in &tf {
            let Some(root) = files[f as usize].doc.as_ref().and_then(|d| d.root()) else { continue };
            for block in root.get_all("variable") {
                for e in block.entries() {
                    m.variables.entry(&e.key.value).or_insert(VarDecl { file: f, default: e.value.get("default") });
                }
            }
            for block in root.get_all("locals") {
                for e in block.entries() {
                    m.locals.entry(&e.key.value).or_insert((f, &e.value));
                }
            }
            for block in root.get_all("provider") {
                for e in block.entries() {
                    let alias = e.value.get("alias").and_then(Node::as_str).map(str::to_owned);
                    m.providers.push(Provider { name: &e.key.value, alias, file: f, body: &e.value });
                }
            }
            for t in root.get_all("terraform") {
                m.backend |= t.get("backend").is_some() || t.get("cloud").is_some();
            }
            m.resources.extend(resources(root).map(|res| TfResource { res, file: f }));
        }
        Some(m)
    }
}

/// What one evaluation of a root reads besides the module: which variable files,
/// which terragrunt file, and the environment its findings carry.
#[derive(Clone, Debug)]
pub struct Variant {
    pub env: Option<Env>,
    /// Why it has that environment.
    pub reason: String,
    /// tfvars files, lowest precedence first.
    pub var_files: Vec<FileRef>,
    /// The terragrunt file whose `inputs` set variables.
    pub terragrunt: Option<FileRef>,
    /// The file that makes this variant (an environment's tfvars, a terragrunt
    /// file); `None` for the root evaluated with what Terraform always loads.
    pub driver: Option<FileRef>,
    /// `env/prod.tfvars`, `live/prod/app/terragrunt.hcl` (empty without a driver).
    pub label: String,
}

/// `terraform.tfvars`, `terraform.tfvars.json`, `*.auto.tfvars`, `*.auto.tfvars.json`.
pub fn auto_loaded(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "terraform.tfvars"
        || n == "terraform.tfvars.json"
        || n.ends_with(".auto.tfvars")
        || n.ends_with(".auto.tfvars.json")
}

/// The variants of a module: one per variable file, one per terragrunt driver, else one.
pub fn variants(files: &[UnitFile], m: &Module<'_>) -> Vec<Variant> {
    let path = |i: FileRef| &*files[i as usize].source.path;
    // The root's own environment: its `.tf` files' when they agree.
    let first = &files[m.tf[0] as usize].env;
    let agree = m.tf.iter().all(|&f| files[f as usize].env.env == first.env);
    let (root_env, root_reason) =
        if agree { (first.env.clone(), first.source.to_string()) } else { (None, "its files disagree".to_owned()) };
    let mut auto: Vec<FileRef> = Vec::new();
    let mut var_files: Vec<FileRef> = Vec::new();
    let mut drivers: Vec<FileRef> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let i = i as FileRef;
        if f.doc.is_none() {
            continue;
        }
        let own = dir_of(&f.source.path) == m.dir;
        match f.kind {
            FileKind::Tfvars if own && auto_loaded(name_of(&f.source.path)) => auto.push(i),
            FileKind::Tfvars => var_files.push(i),
            FileKind::Hcl
                if name_of(&f.source.path) == "terragrunt.hcl" && (!own || super::layout::tg_source(f).is_none()) =>
            {
                drivers.push(i);
            }
            _ => {}
        }
    }
    // terraform.tfvars, terraform.tfvars.json, then *.auto.tfvars in name order
    auto.sort_by_key(|&i| {
        let n = name_of(path(i)).to_ascii_lowercase();
        (!n.starts_with("terraform.tfvars"), n)
    });
    let rel = |i: FileRef| {
        let p = path(i);
        p.strip_prefix(&m.dir).and_then(|r| r.strip_prefix('/')).unwrap_or(p).to_owned()
    };
    let env_of = |i: FileRef| match &files[i as usize].env.env {
        Some(e) => (Some(e.clone()), format!("{}: {}", rel(i), files[i as usize].env.source)),
        None => (root_env.clone(), root_reason.clone()),
    };
    let mut out = Vec::new();
    for &v in &var_files {
        let (env, reason) = env_of(v);
        let mut list = auto.clone();
        list.push(v);
        out.push(Variant { env, reason, var_files: list, terragrunt: None, driver: Some(v), label: rel(v) });
    }
    for &t in &drivers {
        let (env, reason) = env_of(t);
        out.push(Variant {
            env,
            reason,
            var_files: auto.clone(),
            terragrunt: Some(t),
            driver: Some(t),
            label: path(t).to_owned(),
        });
    }
    if out.is_empty() {
        out.push(Variant {
            env: root_env,
            reason: root_reason,
            var_files: auto,
            terragrunt: None,
            driver: None,
            label: String::new(),
        });
    }
    out.truncate(MAX_VARIANTS);
    out
}

/// A provider name and alias: `("aws", Some("us_east_1"))`.
type ProviderRef = (String, Option<String>);

enum Local {
    Busy,
    Done(Result<Rc<Val>, Fail>),
}

/// A root module evaluated with one variant's variable values: what rules ask
/// about resources, values computed on first use and shared by every rule.
pub struct RootEval<'a> {
    pub module: Rc<Module<'a>>,
    pub files: &'a [UnitFile],
    pub variant: Variant,
    /// Its variables come from callers (see the module docs).
    pub shared: bool,
    budget: Budget,
    locals: RefCell<BTreeMap<&'a str, Local>>,
    vars: RefCell<BTreeMap<String, Option<Rc<Val>>>>,
    /// Terragrunt `inputs`, evaluated once.
    inputs: OnceCell<Val>,
    /// Default tags per provider name and alias.
    defaults: RefCell<BTreeMap<ProviderRef, Rc<Val>>>,
    /// Every resource's effective tags, computed on first use: the tag rules
    /// (`missing-required-tags`, `invalid-env-tag`) read the same values.
    tags: OnceCell<Vec<Option<Effective>>>,
}

impl<'a> RootEval<'a> {
    pub fn new(module: Rc<Module<'a>>, files: &'a [UnitFile], variant: Variant, shared: bool) -> Self {
        Self {
            module,
            files,
            variant,
            shared,
            budget: Budget::default(),
            locals: RefCell::new(BTreeMap::new()),
            vars: RefCell::new(BTreeMap::new()),
            inputs: OnceCell::new(),
            defaults: RefCell::new(BTreeMap::new()),
            tags: OnceCell::new(),
        }
    }

    /// The effective tags of each resource of the module (in the order of
    /// `module.resources`), evaluated once for this variant.
    pub fn effective_tags(&self) -> &[Option<Effective>] {
        self.tags.get_or_init(|| self.module.resources.iter().map(|r| effective(self, r)).collect())
    }

    fn evaluator(&self) -> Evaluator<'_> {
        Evaluator::new(self, &self.budget)
    }

    /// A node of the module's file `file`, evaluated in the module's scope.
    pub fn eval(&self, node: &Node, file: FileRef) -> Val {
        self.evaluator().node(node, file)
    }

    /// A resource attribute: the entry (for its key span) and its value.
    pub fn attr(&self, r: &TfResource<'_>, name: &str) -> Option<(Span, Val)> {
        let entry = r.res.body.entry(name)?;
        Some((entry.key.span, self.eval(&entry.value, r.file)))
    }

    /// Whether `count` or `for_each` say that the resource makes no instance.
    pub fn no_instances(&self, r: &TfResource<'_>) -> bool {
        if let Some((_, count)) = self.attr(r, "count")
            && let Kind::Number(n) = count.kind
        {
            return n == 0.0;
        }
        if let Some((_, each)) = self.attr(r, "for_each") {
            return match &each.kind {
                Kind::List(l) => l.is_empty(),
                Kind::Map(m) => m.is_empty(),
                _ => false,
            };
        }
        false
    }

    /// `provider = aws.us_east_1` → `("aws", Some("us_east_1"))`; else the type's provider.
    pub fn provider_ref(r: &TfResource<'_>) -> ProviderRef {
        if let Some(p) = r.res.body.get("provider") {
            if let Some(e) = p.as_expr() {
                match &e.ast.kind {
                    crate::model::expr::ExprKind::Variable(name) => return (name.to_string(), None),
                    _ => {
                        if let Some((name, alias)) = e.ast.reference() {
                            return (name.to_owned(), Some(alias.to_owned()));
                        }
                    }
                }
            }
            if let Some(s) = p.as_str() {
                let (name, alias) = s.split_once('.').map_or((s, None), |(n, a)| (n, Some(a.to_owned())));
                return (name.to_owned(), alias);
            }
        }
        let kind = r.res.kind;
        let name = kind.split_once('_').map_or(kind, |(p, _)| p);
        (name.to_owned(), None)
    }

    /// The provider block a resource uses, if the module has it.
    pub fn provider_of(&self, r: &TfResource<'_>) -> Option<&Provider<'a>> {
        let (name, alias) = Self::provider_ref(r);
        // `google-beta` resources are `google_*` types with `provider = google-beta`
        self.module.providers.iter().find(|p| p.name == name && p.alias == alias)
    }

    /// The default tags (aws `default_tags { tags }`) or labels (google
    /// `default_labels`) a resource gets from its provider: unknown when the
    /// provider's configuration comes from elsewhere (a caller's `providers`, a
    /// terragrunt `generate` block).
    pub fn default_tags(&self, r: &TfResource<'_>) -> Rc<Val> {
        let (name, alias) = Self::provider_ref(r);
        let key = (name.clone(), alias.clone());
        if let Some(v) = self.defaults.borrow().get(&key) {
            return v.clone();
        }
        let block = self.module.providers.iter().find(|p| p.name == name && p.alias == alias);
        let v = match block {
            Some(p) => {
                let node =
                    p.body.get("default_tags").and_then(|d| d.get("tags")).or_else(|| p.body.get("default_labels"));
                match node {
                    Some(n) => self.eval(n, p.file),
                    None => Val::new(Kind::Map(BTreeMap::new()), None),
                }
            }
            // No block: an implicit, empty configuration in a root that nothing
            // else configures; unknown in a shared module, or when a terragrunt
            // file may generate the provider (a `generate` block, or a parent
            // configuration it includes).
            None if alias.is_none() && !self.shared && !self.terragrunt_may_generate() => {
                Val::new(Kind::Map(BTreeMap::new()), None)
            }
            None => Val::unknown(),
        };
        let v = Rc::new(v);
        self.defaults.borrow_mut().insert(key, v.clone());
        v
    }

    /// Whether the variant's terragrunt file may write provider blocks.
    fn terragrunt_may_generate(&self) -> bool {
        let Some(t) = self.variant.terragrunt else { return false };
        self.files[t as usize]
            .doc
            .as_ref()
            .and_then(|d| d.root())
            .is_none_or(|root| root.get("generate").is_some() || root.get("include").is_some())
    }

    /// The value of `var.name` for this variant (unknown in shared modules).
    fn variable(&self, ev: &Evaluator<'_>, name: &str) -> Result<Option<Rc<Val>>, Fail> {
        if self.shared {
            return Ok(None);
        }
        if let Some(v) = self.vars.borrow().get(name) {
            return Ok(v.clone());
        }
        let literal = Evaluator::new(&NoScope, ev.budget);
        let mut found: Option<Rc<Val>> = None;
        for &f in self.variant.var_files.iter().rev() {
            if let Some(node) = self.files[f as usize].doc.as_ref().and_then(|d| d.root()).and_then(|r| r.get(name)) {
                found = Some(Rc::new(literal.try_node(node, f)?));
                break;
            }
        }
        if found.is_none()
            && let Some(t) = self.variant.terragrunt
        {
            let inputs = self.inputs.get_or_init(|| self.terragrunt_inputs(t));
            let included =
                self.files[t as usize].doc.as_ref().and_then(|d| d.root()).is_some_and(|r| r.get("include").is_some());
            match &inputs.kind {
                Kind::Map(m) if m.contains_key(name) => found = m.get(name).map(|v| Rc::new(v.clone())),
                // inputs we cannot read, or a parent configuration's, may set any variable
                Kind::Map(_) if !included => {}
                _ => {
                    self.vars.borrow_mut().insert(name.to_owned(), None);
                    return Ok(None);
                }
            }
        }
        if found.is_none()
            && let Some(decl) = self.module.variables.get(name)
            && let Some(default) = decl.default
        {
            found = Some(Rc::new(literal.try_node(default, decl.file)?));
        }
        self.vars.borrow_mut().insert(name.to_owned(), found.clone());
        Ok(found)
    }

    fn terragrunt_inputs(&self, t: FileRef) -> Val {
        let Some(root) = self.files[t as usize].doc.as_ref().and_then(|d| d.root()) else { return Val::unknown() };
        let scope = TerragruntScope { root, file: t, locals: RefCell::new(BTreeMap::new()) };
        match root.get("inputs") {
            Some(inputs) => Evaluator::new(&scope, &self.budget).node(inputs, t),
            None => Val::new(Kind::Map(BTreeMap::new()), None),
        }
    }

    fn local(&self, ev: &Evaluator<'_>, name: &str) -> Result<Option<Rc<Val>>, Fail> {
        let Some(&(file, node)) = self.module.locals.get(name) else { return Ok(None) };
        match self.locals.borrow().get(name) {
            Some(Local::Busy) => return Ok(None),
            Some(Local::Done(r)) => return r.clone().map(Some),
            None => {}
        }
        let key: &'a str = self.module.locals.get_key_value(name).map_or("", |(k, _)| k);
        self.locals.borrow_mut().insert(key, Local::Busy);
        let r = ev.budget.nested(|| ev.try_node(node, file)).map(Rc::new);
        if r == Err(Fail::Limit) {
            self.locals.borrow_mut().remove(key);
            return Err(Fail::Limit);
        }
        self.locals.borrow_mut().insert(key, Local::Done(r.clone()));
        r.map(Some)
    }

    /// The root's env-var carriers, evaluated: Lambda, ECS and Beanstalk settings
    /// whose values come from locals and variables, each pointing where its value is written.
    pub fn carriers(&self) -> Vec<SubjectCarrier> {
        let ev = self.evaluator();
        let mut out = Vec::new();
        for &f in &self.module.tf {
            let Some(root) = self.files[f as usize].doc.as_ref().and_then(|d| d.root()) else { continue };
            let source = |r: FileRef| self.files.get(r as usize).map(|x| &*x.source);
            for (carrier, file) in crate::formats::carriers::terraform_carriers_in(root, f, &ev, &source) {
                out.push(SubjectCarrier { carrier, file, inherited_from: None });
            }
        }
        out
    }
}

impl Resolve for RootEval<'_> {
    fn resolve(&self, ev: &Evaluator<'_>, root: &str, name: &str) -> Result<Option<Rc<Val>>, Fail> {
        match root {
            "var" => self.variable(ev, name),
            "local" => self.local(ev, name),
            _ => Ok(None),
        }
    }
}

/// `local.*` of a terragrunt file (its `locals` block); everything else it reads
/// (`include`, `dependency`, `get_env(...)`, parent files) is unknown.
struct TerragruntScope<'a> {
    root: &'a Node,
    file: FileRef,
    locals: RefCell<BTreeMap<String, Option<Rc<Val>>>>,
}

impl Resolve for TerragruntScope<'_> {
    fn resolve(&self, ev: &Evaluator<'_>, root: &str, name: &str) -> Result<Option<Rc<Val>>, Fail> {
        if root != "local" {
            return Ok(None);
        }
        if let Some(v) = self.locals.borrow().get(name) {
            return Ok(v.clone());
        }
        let Some(node) = self.root.get_all("locals").find_map(|l| l.get(name)) else { return Ok(None) };
        // a cycle reads unknown
        self.locals.borrow_mut().insert(name.to_owned(), None);
        let v = Rc::new(ev.budget.nested(|| ev.try_node(node, self.file))?);
        self.locals.borrow_mut().insert(name.to_owned(), Some(v.clone()));
        Ok(Some(v))
    }
}

/// The subjects of a unit's Terraform root: one per variant, each with its
/// environment, its evaluated carriers and the evaluation rules read.
pub fn subjects<'a>(files: &'a [UnitFile], layout: &Layout, _table: &EnvTable) -> Vec<Subject<'a>> {
    let Some(module) = Module::of(files) else { return Vec::new() };
    let module = Rc::new(module);
    let list = variants(files, &module);
    let driven = list.iter().any(|v| v.driver.is_some() || !v.var_files.is_empty());
    let shared =
        !driven && (layout.called_by.contains_key(&module.dir) || (module.providers.is_empty() && !module.backend));
    let first_tf = module.tf[0];
    list.into_iter()
        .map(|variant| {
            let anchor_file = variant.driver.unwrap_or(first_tf);
            let anchor = Loc { file: anchor_file, span: files[anchor_file as usize].source.line_span(1) };
            let dir = if module.dir.is_empty() { ".".to_owned() } else { module.dir.clone() };
            let name = match (variant.terragrunt, variant.label.is_empty()) {
                (_, true) => format!("Terraform root `{dir}`"),
                (Some(_), false) => format!("Terraform root `{dir}` driven by {}", variant.label),
                (None, false) => format!("Terraform root `{dir}` evaluated with {}", variant.label),
            };
            let env = variant.env.clone();
            let reason = variant.reason.clone();
            let eval = RootEval::new(module.clone(), files, variant, shared);
            let carriers = eval.carriers();
            Subject {
                kind: SubjectKind::Module,
                name,
                anchor,
                node: None,
                env,
                reason,
                carriers,
                view: None,
                related: Vec::new(),
                terraform: Some(Box::new(eval)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::EnvRules;

    /// Unit files from (path, text); files outside `dir` are context files.
    fn unit(dir: &str, files: &[(&str, &str)]) -> Vec<UnitFile> {
        let table = EnvTable::default();
        let rules = EnvRules { flags: &[], config: &[], table: &table };
        files
            .iter()
            .map(|&(path, text)| {
                let kind = crate::discover::FileKind::classify(path);
                let l = crate::engine::load::text(path, text.as_bytes().to_vec(), kind, &rules, path).expect("text");
                UnitFile {
                    source: l.source,
                    kind,
                    doc: l.doc,
                    parse_error: l.parse_error,
                    env: l.env,
                    config_rel: path.to_owned(),
                    reported: true,
                    secrets: Vec::new(),
                    context: dir_of(path) != dir,
                }
            })
            .collect()
    }

    fn evals<'a>(files: &'a [UnitFile], layout: &Layout) -> Vec<Subject<'a>> {
        subjects(files, layout, &EnvTable::default())
    }

    fn var(s: &Subject<'_>, name: &str) -> String {
        let ev = s.terraform.as_deref().expect("a root");
        let budget = Budget::default();
        let e = Evaluator::new(ev, &budget);
        match ev.resolve(&e, "var", name) {
            Ok(Some(v)) => super::super::eval::tests::show(&v),
            _ => "?".to_owned(),
        }
    }

    const MAIN: &str = "provider \"aws\" {}\nvariable \"environment\" {}\nvariable \"size\" {\n  default = 1\n}\nvariable \"owner\" {\n  default = \"nobody\"\n}\n";

    #[test]
    fn one_variant_per_variable_file_with_its_environment() {
        let files = unit(
            "infra",
            &[
                ("infra/main.tf", MAIN),
                ("infra/terraform.tfvars", "size = 2\n"),
                ("infra/b.auto.tfvars", "size = 4\n"),
                ("infra/a.auto.tfvars", "size = 3\nowner = \"auto\"\n"),
                ("infra/prod.tfvars", "environment = \"prod\"\nsize = 5\n"),
                ("infra/env/staging.tfvars", "environment = \"staging\"\n"),
                ("infra/eu-west-1.tfvars", "environment = \"x\"\n"),
            ],
        );
        let subjects = evals(&files, &Layout::default());
        let got: Vec<(String, Option<String>, String, String, String)> = subjects
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    s.env.as_deref().map(str::to_owned),
                    var(s, "environment"),
                    var(s, "size"),
                    var(s, "owner"),
                )
            })
            .collect();
        let row = |name: &str, env: Option<&str>, e: &str, size: &str, owner: &str| {
            (name.to_owned(), env.map(str::to_owned), e.to_owned(), size.to_owned(), owner.to_owned())
        };
        assert_eq!(
            got,
            [
                // precedence: default < terraform.tfvars < *.auto.tfvars by name < the variable file
                row("Terraform root `infra` evaluated with prod.tfvars", Some("prod"), "\"prod\"", "5", "\"auto\""),
                row(
                    "Terraform root `infra` evaluated with env/staging.tfvars",
                    Some("staging"),
                    "\"staging\"",
                    "4",
                    "\"auto\""
                ),
                // a variable file naming no environment: the root's (none here)
                row("Terraform root `infra` evaluated with eu-west-1.tfvars", None, "\"x\"", "4", "\"auto\""),
            ]
        );
        assert_eq!(subjects[1].reason, "env/staging.tfvars: file name token `staging`");
    }

    #[test]
    fn a_root_alone_and_a_shared_module() {
        let files = unit("envs/prod", &[("envs/prod/main.tf", MAIN)]);
        let s = evals(&files, &Layout::default());
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].name.as_str(), s[0].env.as_deref()), ("Terraform root `envs/prod`", Some("prod")));
        assert_eq!((var(&s[0], "environment"), var(&s[0], "size")), ("?".to_owned(), "1".to_owned()));
        assert!(!s[0].terraform.as_deref().expect("root").shared);
        // called by another module: its variables come from the caller
        let mut layout = Layout::default();
        layout.called_by.insert("envs/prod".into(), vec!["envs/main.tf".into()]);
        let s = evals(&files, &layout);
        assert!(s[0].terraform.as_deref().expect("root").shared);
        assert_eq!(var(&s[0], "size"), "?");
        // no provider block, no backend, no tfvars: shared too
        let files = unit("modules/x", &[("modules/x/main.tf", "variable \"size\" {\n  default = 1\n}\n")]);
        assert!(evals(&files, &Layout::default())[0].terraform.as_deref().expect("root").shared);
    }

    #[test]
    fn terragrunt_inputs_and_locals() {
        let tg = "terraform {\n  source = \"../../modules//app\"\n}\nlocals {\n  env = \"prod\"\n  owner = \"web-${local.env}\"\n}\ninputs = {\n  environment = local.env\n  owner = local.owner\n  size = dependency.x.outputs.size\n}\n";
        let files = unit(
            "modules/app",
            &[
                ("modules/app/main.tf", MAIN),
                ("live/prod/app/terragrunt.hcl", tg),
                ("modules/app/terraform.tfvars", "size = 9\n"),
            ],
        );
        let s = evals(&files, &Layout::default());
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].name, "Terraform root `modules/app` driven by live/prod/app/terragrunt.hcl");
        assert_eq!(s[0].env.as_deref(), Some("prod"));
        // terraform.tfvars wins over terragrunt inputs; inputs over defaults
        assert_eq!(
            (var(&s[0], "environment"), var(&s[0], "owner"), var(&s[0], "size")),
            ("\"prod\"".to_owned(), "\"web-prod\"".to_owned(), "9".to_owned())
        );
        // inputs that cannot be read may set anything
        let files = unit(
            "modules/app",
            &[("modules/app/main.tf", MAIN), ("live/prod/app/terragrunt.hcl", "inputs = merge(local.x, {})\n")],
        );
        assert_eq!(var(&evals(&files, &Layout::default())[0], "size"), "?");
        // so may an included parent configuration's
        let tg =
            "include \"root\" {\n  path = find_in_parent_folders(\"root.hcl\")\n}\ninputs = {\n  owner = \"x\"\n}\n";
        let files = unit("modules/app", &[("modules/app/main.tf", MAIN), ("live/prod/app/terragrunt.hcl", tg)]);
        let s = evals(&files, &Layout::default());
        assert_eq!((var(&s[0], "owner"), var(&s[0], "size")), ("\"x\"".to_owned(), "?".to_owned()));
    }

    #[test]
    fn locals_in_any_order_cycles_unknown() {
        let text = "provider \"aws\" {}\nlocals {\n  c = \"${local.b}-c\"\n  loop1 = local.loop2\n}\nlocals {\n  b = upper(local.a)\n  a = \"x\"\n  loop2 = local.loop1\n}\n";
        let files = unit("r", &[("r/main.tf", MAIN), ("r/locals.tf", text)]);
        let s = evals(&files, &Layout::default());
        let ev = s[0].terraform.as_deref().expect("root");
        let budget = Budget::default();
        let e = Evaluator::new(ev, &budget);
        let local = |name: &str| match ev.resolve(&e, "local", name) {
            Ok(Some(v)) => super::super::eval::tests::show(&v),
            _ => "?".to_owned(),
        };
        assert_eq!(local("c"), "\"X-c\"");
        assert_eq!(local("loop1"), "?");
        assert_eq!(local("nope"), "?");
    }

    #[test]
    fn providers_aliases_and_default_tags() {
        let text = "provider \"aws\" {\n  default_tags {\n    tags = { env = \"prod\" }\n  }\n}\nprovider \"aws\" {\n  alias = \"east\"\n}\nprovider \"google\" {\n  default_labels = { team = \"x\" }\n}\nresource \"aws_s3_bucket\" \"a\" {}\nresource \"aws_s3_bucket\" \"b\" {\n  provider = aws.east\n}\nresource \"aws_s3_bucket\" \"c\" {\n  provider = aws.west\n}\nresource \"google_storage_bucket\" \"d\" {}\nresource \"azurerm_resource_group\" \"e\" {}\n";
        let files = unit("r", &[("r/main.tf", text), ("r/terraform.tfvars", "")]);
        let s = evals(&files, &Layout::default());
        let ev = s[0].terraform.as_deref().expect("root");
        let tags: Vec<String> =
            ev.module.resources.iter().map(|r| super::super::eval::tests::show(&ev.default_tags(r))).collect();
        assert_eq!(tags, ["{env:\"prod\"}", "{}", "?", "{team:\"x\"}", "{}"]);
        let refs: Vec<ProviderRef> = ev.module.resources.iter().map(RootEval::provider_ref).collect();
        assert_eq!(refs[1], ("aws".to_owned(), Some("east".to_owned())));
        assert_eq!(refs[4], ("azurerm".to_owned(), None));
    }

    #[test]
    fn evaluated_carriers_point_where_values_are_written() {
        let text = "provider \"aws\" {}\nlocals {\n  level = \"debug\"\n}\nresource \"aws_lambda_function\" \"f\" {\n  environment {\n    variables = {\n      LOG_LEVEL = local.level\n      MODE = var.mode\n      KEEP = \"x\"\n    }\n  }\n}\nvariable \"mode\" {}\n";
        let files = unit("r", &[("r/main.tf", text), ("r/prod.tfvars", "mode = \"fast\"\n")]);
        let s = evals(&files, &Layout::default());
        let got: Vec<(String, String, String)> = s[0]
            .carriers
            .iter()
            .map(|c| {
                let src = &files[c.file as usize].source;
                (c.carrier.key.clone(), src.path.to_string(), src.slice(c.carrier.value_span).to_owned())
            })
            .collect();
        assert_eq!(
            got,
            [
                ("LOG_LEVEL".into(), "r/main.tf".into(), "debug".into()),
                ("MODE".into(), "r/prod.tfvars".into(), "fast".into()),
                ("KEEP".into(), "r/main.tf".into(), "x".into()),
            ]
        );
        // the key of a value written in another file points at the value too
        let mode = &s[0].carriers[1];
        assert_eq!(mode.carrier.key_span, mode.carrier.value_span);
    }

    #[test]
    fn no_instances() {
        let text = "provider \"aws\" {}\nresource \"aws_s3_bucket\" \"a\" {\n  count = 0\n}\nresource \"aws_s3_bucket\" \"b\" {\n  for_each = {}\n}\nresource \"aws_s3_bucket\" \"c\" {\n  count = var.n\n}\nresource \"aws_s3_bucket\" \"d\" {}\n";
        let files = unit("r", &[("r/main.tf", text), ("r/terraform.tfvars", "")]);
        let s = evals(&files, &Layout::default());
        let ev = s[0].terraform.as_deref().expect("root");
        let none: Vec<bool> = ev.module.resources.iter().map(|r| ev.no_instances(r)).collect();
        assert_eq!(none, [true, true, false, false]);
    }
}
