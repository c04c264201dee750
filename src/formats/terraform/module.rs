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
        }
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
            let Kind::Map(m) = &inputs.kind else {
                // inputs we cannot read may set any variable
                self.vars.borrow_mut().insert(name.to_owned(), None);
                return Ok(None);
            };
            found = m.get(name).map(|v| Rc::new(v.clone()));
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
                terraform: Some(Box::new(eval)),
            }
        })
        .collect()
}
