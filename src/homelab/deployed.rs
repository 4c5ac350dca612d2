//! The files a configuration deploys: every `file()`, `templatefile()` and `filebase64()`
//! call in its `.tf` files, with the path argument evaluated (`${path.module}/...`, locals,
//! variable defaults, `each.value` of a `for_each` over `fileset()`, `for` expressions), and,
//! for `templatefile()`, the text as rendered with the values the call passes. Also the
//! `rule_files` globs of a Prometheus configuration built in HCL, and where each file is
//! written to when the configuration says so (`path = "/etc/prometheus/..."` next to the
//! call).

use std::path::PathBuf;

use hcl::Value;
use hcl::eval::Context;
use hcl_edit::Span;
use hcl_edit::expr::{Expression, ForExpr, FuncCall, Object, ObjectKey, ObjectValue};
use hcl_edit::structure::{Attribute, Block, Body};
use hcl_edit::visit::{
    Visit, visit_block, visit_body, visit_for_expr, visit_func_call, visit_object,
    visit_object_item,
};

use super::eval::{bindings, evaluate, functions, with_base};
use super::terraform_dirs::ParsedConfig;

/// Functions whose first argument is a file the configuration reads.
const READERS: [&str; 3] = ["file", "templatefile", "filebase64"];
/// Keys that say where a file's content is written (cloud-init `write_files`, provisioners).
const DESTINATION_KEYS: [&str; 3] = ["path", "destination", "file_name"];

/// Where a configuration reads a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRead {
    /// The module or environment directory, relative to the root.
    pub(crate) config: String,
    /// The `.tf` file, relative to the root, and the line of the call.
    pub tf_file: String,
    pub line: usize,
    /// `file`, `templatefile` or `filebase64`.
    pub function: String,
    /// The path argument as written (`"${path.module}/files/${each.value}"`).
    pub argument: String,
    /// Where the content is written on the deployed host, when the configuration says.
    pub(crate) destination: Option<String>,
}

/// A call found, before its path is checked.
#[derive(Debug, Clone)]
pub(crate) struct RawRead {
    pub(crate) read: FileRead,
    /// The evaluated path; `Err` says why it could not be evaluated.
    pub(crate) path: Result<PathBuf, String>,
    /// For `templatefile()`: the rendered text, or why it could not be rendered.
    pub(crate) rendered: Option<Result<String, String>>,
}

/// Everything one configuration reads.
#[derive(Debug, Default)]
pub(crate) struct ConfigReads {
    pub(crate) reads: Vec<RawRead>,
    pub(crate) rule_globs: Vec<String>,
}

/// The evaluation context of a configuration: functions, `path`, `var` (defaults), `local`.
pub(crate) fn config_context(config: &ParsedConfig) -> Context<'static> {
    let mut ctx = functions();
    let dir = config.dir.display().to_string();
    let mut path = hcl::Map::new();
    for key in ["module", "root", "cwd"] {
        path.insert(key.to_string(), Value::from(dir.clone()));
    }
    ctx.declare_var("path", Value::Object(path));
    let mut terraform = hcl::Map::new();
    terraform.insert("workspace".to_string(), Value::from("default"));
    ctx.declare_var("terraform", Value::Object(terraform));

    let mut vars = hcl::Map::new();
    let mut locals: Vec<(String, &Expression)> = Vec::new();
    for (_, _, body) in &config.files {
        for block in body.get_blocks("variable") {
            let (Some(name), Some(default)) =
                (block.labels.first(), block.body.get_attribute("default"))
            else {
                continue;
            };
            if let Ok(value) = evaluate(&default.value, &ctx) {
                vars.insert(name.as_str().to_string(), value);
            }
        }
        for block in body.get_blocks("locals") {
            for attr in block.body.attributes() {
                locals.push((attr.key.as_str().to_string(), &attr.value));
            }
        }
    }
    ctx.declare_var("var", Value::Object(vars));

    // Locals may use each other in any order: evaluate until nothing more can be.
    let mut known = hcl::Map::new();
    loop {
        ctx.declare_var("local", Value::Object(known.clone()));
        let before = known.len();
        for (name, expr) in &locals {
            if !known.contains_key(name)
                && let Ok(value) = evaluate(expr, &ctx)
            {
                known.insert(name.clone(), value);
            }
        }
        if known.len() == before {
            break;
        }
    }
    ctx
}

/// Finds every file read and every `rule_files` glob of a configuration.
pub(crate) fn reads_of(config: &ParsedConfig) -> ConfigReads {
    with_base(&config.dir, || {
        let base = config_context(config);
        let mut out = ConfigReads::default();
        for (file, text, body) in &config.files {
            let mut walker = Walker {
                base: &base,
                dir: &config.dir,
                config: &config.rel,
                tf_file: file,
                text,
                scopes: Vec::new(),
                destination: None,
                out: &mut out,
            };
            walker.visit_body(body);
        }
        out.rule_globs.sort();
        out.rule_globs.dedup();
        out
    })
}

struct Walker<'a> {
    base: &'a Context<'static>,
    /// The configuration's directory, for relative paths.
    dir: &'a std::path::Path,
    config: &'a str,
    tf_file: &'a str,
    text: &'a str,
    /// Variables bound by enclosing `for_each`, `dynamic` and `for`.
    scopes: Vec<(String, Value)>,
    destination: Option<String>,
    out: &'a mut ConfigReads,
}

impl Walker<'_> {
    fn eval(&self, expr: &Expression) -> Result<Value, String> {
        if self.scopes.is_empty() {
            return evaluate(expr, self.base);
        }
        let mut ctx = self.base.clone();
        for (name, value) in &self.scopes {
            ctx.declare_var(name.as_str(), value.clone());
        }
        evaluate(expr, &ctx)
    }

    fn eval_string(&self, expr: &Expression) -> Result<String, String> {
        match self.eval(expr)? {
            Value::String(s) => Ok(s),
            other => Err(format!("evaluates to {other}, not a path")),
        }
    }

    fn add_rule_globs(&mut self, expr: &Expression) {
        if let Ok(Value::Array(items)) = self.eval(expr) {
            self.out
                .rule_globs
                .extend(items.iter().filter_map(|v| v.as_str().map(str::to_string)));
        }
    }

    /// Runs `visit` with `destination` set from the first destination key that evaluates.
    fn with_destination<'k>(
        &mut self,
        candidates: impl Iterator<Item = (&'k str, &'k Expression)>,
        visit: impl FnOnce(&mut Self),
    ) {
        let found = candidates
            .filter(|(key, _)| DESTINATION_KEYS.contains(key))
            .find_map(|(_, expr)| self.eval_string(expr).ok());
        let saved = self.destination.clone();
        if found.is_some() {
            self.destination = found;
        }
        visit(self);
        self.destination = saved;
    }

    fn with_bindings(&mut self, names: &[(String, Value)], visit: impl FnOnce(&mut Self)) {
        let depth = self.scopes.len();
        self.scopes.extend(names.iter().cloned());
        visit(self);
        self.scopes.truncate(depth);
    }
}

fn key_text(key: &ObjectKey) -> Option<&str> {
    match key {
        ObjectKey::Ident(ident) => Some(ident.as_str()),
        ObjectKey::Expression(expr) => expr.as_str(),
    }
}

fn iteration(key: Value, value: Value) -> Value {
    let mut object = hcl::Map::new();
    object.insert("key".to_string(), key);
    object.insert("value".to_string(), value);
    Value::Object(object)
}

impl Visit for Walker<'_> {
    fn visit_body(&mut self, node: &Body) {
        let attrs: Vec<(&str, &Expression)> = node
            .attributes()
            .map(|a| (a.key.as_str(), &a.value))
            .collect();
        self.with_destination(attrs.into_iter(), |w| visit_body(w, node));
    }

    fn visit_attr(&mut self, node: &Attribute) {
        if node.key.as_str() == "rule_files" {
            self.add_rule_globs(&node.value);
        }
        hcl_edit::visit::visit_attr(self, node);
    }

    fn visit_block(&mut self, node: &Block) {
        let dynamic = node.ident.as_str() == "dynamic";
        let variable = if dynamic {
            node.body
                .get_attribute("iterator")
                .and_then(|a| a.value.as_variable().map(|v| v.as_str().to_string()))
                .or_else(|| node.labels.first().map(|l| l.as_str().to_string()))
                .unwrap_or_default()
        } else {
            "each".to_string()
        };
        let items = node
            .body
            .get_attribute("for_each")
            .and_then(|a| self.eval(&a.value).ok())
            .and_then(|v| {
                let is_set = matches!(v, Value::Array(_));
                bindings(&v).map(|b| (b, is_set))
            });
        match items {
            Some((items, is_set)) => {
                for (key, value) in items {
                    // Terraform's `for_each` over a set: each.key is the element too.
                    let key = if is_set && !dynamic {
                        value.clone()
                    } else {
                        key
                    };
                    let bound = [(variable.clone(), iteration(key, value))];
                    self.with_bindings(&bound, |w| visit_block(w, node));
                }
            }
            None => visit_block(self, node),
        }
    }

    fn visit_object(&mut self, node: &Object) {
        let items: Vec<(&str, &Expression)> = node
            .iter()
            .filter_map(|(k, v)| key_text(k).map(|k| (k, v.expr())))
            .collect();
        self.with_destination(items.into_iter(), |w| visit_object(w, node));
    }

    fn visit_object_item(&mut self, key: &ObjectKey, value: &ObjectValue) {
        if key_text(key) == Some("rule_files") {
            self.add_rule_globs(value.expr());
        }
        visit_object_item(self, key, value);
    }

    fn visit_for_expr(&mut self, node: &ForExpr) {
        let collection = self
            .eval(&node.intro.collection_expr)
            .ok()
            .and_then(|v| bindings(&v));
        let Some(items) = collection else {
            return visit_for_expr(self, node);
        };
        for (key, value) in items {
            let mut bound = vec![(node.intro.value_var.as_str().to_string(), value)];
            if let Some(key_var) = &node.intro.key_var {
                bound.push((key_var.as_str().to_string(), key));
            }
            self.with_bindings(&bound, |w| visit_for_expr(w, node));
        }
    }

    fn visit_func_call(&mut self, node: &FuncCall) {
        let name = node.name.name.as_str();
        if READERS.contains(&name)
            && let Some(first) = node.args.iter().next()
        {
            let path = self.eval_string(first).map(|p| {
                let p = PathBuf::from(p);
                if p.is_absolute() { p } else { self.dir.join(p) }
            });
            let rendered = (name == "templatefile")
                .then(|| self.eval_string(&Expression::FuncCall(Box::new(node.clone()))));
            let read = FileRead {
                config: self.config.to_string(),
                tf_file: self.tf_file.to_string(),
                line: ParsedConfig::line_of(self.text, node.span()),
                function: name.to_string(),
                argument: first.to_string().trim().to_string(),
                destination: self.destination.clone(),
            };
            let duplicate = self
                .out
                .reads
                .iter()
                .any(|r| r.read == read && r.path == path && r.rendered == rendered);
            if !duplicate {
                self.out.reads.push(RawRead {
                    read,
                    path,
                    rendered,
                });
            }
        }
        visit_func_call(self, node);
    }
}
