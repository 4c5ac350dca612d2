//! Just enough of Terraform's language to know which files a configuration reads: the
//! values of `path.module`, `local.*`, `var.*` (defaults), `each.*` and `for` variables,
//! string templates, and the functions that build paths and file contents (`fileset`,
//! `file`, `templatefile`, `concat`, `join`, ...). Evaluation is hcl-rs's; a value that
//! depends on anything else (a resource, a variable without default) is simply unknown.
//!
//! The directory relative paths resolve against is a thread-local that [`with_base`] sets
//! around one evaluation and restores after: hcl-rs calls the functions below through plain
//! `fn` pointers, which cannot carry it. It lives for one call on one thread, not for a run.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use hcl::Value;
use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};

thread_local! {
    /// The directory relative paths are resolved against (Terraform: the working
    /// directory, which is the configuration's own directory for the suite's purposes).
    static BASE: RefCell<PathBuf> = RefCell::new(PathBuf::from("."));
}

/// Runs `f` with relative paths resolved against `dir`.
pub(crate) fn with_base<T>(dir: &Path, f: impl FnOnce() -> T) -> T {
    let previous = BASE.with(|b| b.replace(dir.to_path_buf()));
    let out = f();
    BASE.with(|b| b.replace(previous));
    out
}

fn resolve(path: &str) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        BASE.with(|b| b.borrow().join(path))
    }
}

/// A context with the functions only.
pub(crate) fn functions() -> Context<'static> {
    let mut ctx = Context::new();
    let s = || ParamType::String;
    let any = || ParamType::Any;
    let def =
        |params: Vec<ParamType>, f: hcl::eval::Func| FuncDef::builder().params(params).build(f);
    let variadic =
        |param: ParamType, f: hcl::eval::Func| FuncDef::builder().variadic_param(param).build(f);
    ctx.declare_func("file", def(vec![s()], file));
    ctx.declare_func("templatefile", def(vec![s(), any()], templatefile));
    ctx.declare_func("fileset", def(vec![s(), s()], fileset));
    ctx.declare_func("abspath", def(vec![s()], abspath));
    ctx.declare_func("basename", def(vec![s()], basename));
    ctx.declare_func("dirname", def(vec![s()], dirname));
    ctx.declare_func("concat", variadic(any(), concat));
    ctx.declare_func("merge", variadic(any(), merge));
    ctx.declare_func("flatten", def(vec![any()], flatten));
    ctx.declare_func("join", def(vec![s(), any()], join));
    ctx.declare_func("split", def(vec![s(), s()], split));
    ctx.declare_func("toset", def(vec![any()], toset));
    ctx.declare_func("tolist", def(vec![any()], identity));
    ctx.declare_func("tomap", def(vec![any()], identity));
    ctx.declare_func("tostring", def(vec![any()], tostring));
    ctx.declare_func("length", def(vec![any()], length));
    ctx.declare_func("keys", def(vec![any()], keys));
    ctx.declare_func("values", def(vec![any()], values));
    ctx.declare_func("lower", def(vec![s()], |a| str_fn(a, str::to_lowercase)));
    ctx.declare_func("upper", def(vec![s()], |a| str_fn(a, str::to_uppercase)));
    ctx.declare_func(
        "trimspace",
        def(vec![s()], |a| str_fn(a, |t| t.trim().to_string())),
    );
    ctx.declare_func("trimsuffix", def(vec![s(), s()], trimsuffix));
    ctx.declare_func("trimprefix", def(vec![s(), s()], trimprefix));
    ctx.declare_func("replace", def(vec![s(), s(), s()], replace));
    ctx.declare_func("yamlencode", def(vec![any()], yamlencode));
    ctx.declare_func("jsonencode", def(vec![any()], jsonencode));
    ctx
}

/// Evaluates an hcl-edit expression in `ctx`.
pub(crate) fn evaluate(
    expr: &hcl_edit::expr::Expression,
    ctx: &Context<'_>,
) -> Result<Value, String> {
    hcl::Expression::from(expr.clone())
        .evaluate(ctx)
        .map_err(|e| e.to_string())
}

/// Renders a template the way `templatefile()` does: `${...}` interpolations and `%{...}`
/// directives, with `vars` as its only variables.
pub(crate) fn render_template(
    text: &str,
    vars: &hcl::Map<String, Value>,
) -> Result<String, String> {
    let template: hcl::Template = text.parse().map_err(|e: hcl::Error| e.to_string())?;
    let mut ctx = functions();
    for (name, value) in vars {
        ctx.declare_var(name.as_str(), value.clone());
    }
    template.evaluate(&ctx).map_err(|e| e.to_string())
}

/// A value as the strings it lists: a string is one, a list or set of strings is each,
/// a map is its values... `None` when it is anything else.
pub(crate) fn bindings(value: &Value) -> Option<Vec<(Value, Value)>> {
    match value {
        Value::Array(items) => Some(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::from(i as u64), v.clone()))
                .collect(),
        ),
        Value::Object(map) => Some(
            map.iter()
                .map(|(k, v)| (Value::from(k.clone()), v.clone()))
                .collect(),
        ),
        _ => None,
    }
}

fn text_arg(args: &FuncArgs, i: usize) -> Result<&str, String> {
    args.get(i)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("argument {} must be a string", i + 1))
}

fn file(args: FuncArgs) -> Result<Value, String> {
    let path = resolve(text_arg(&args, 0)?);
    std::fs::read_to_string(&path)
        .map(Value::from)
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn templatefile(args: FuncArgs) -> Result<Value, String> {
    let path = resolve(text_arg(&args, 0)?);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let vars = args
        .get(1)
        .and_then(Value::as_object)
        .ok_or("templatefile's second argument must be an object")?;
    render_template(&text, vars)
        .map(Value::from)
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn fileset(args: FuncArgs) -> Result<Value, String> {
    let dir = resolve(text_arg(&args, 0)?);
    let pattern = text_arg(&args, 1)?;
    Ok(Value::Array(
        super::glob::fileset(&dir, pattern)
            .into_iter()
            .map(Value::from)
            .collect(),
    ))
}

fn abspath(args: FuncArgs) -> Result<Value, String> {
    let path = resolve(text_arg(&args, 0)?);
    Ok(Value::from(
        super::repo_fs::normalize(&path).display().to_string(),
    ))
}

fn basename(args: FuncArgs) -> Result<Value, String> {
    let path = text_arg(&args, 0)?;
    Ok(Value::from(path.rsplit('/').next().unwrap_or(path)))
}

fn dirname(args: FuncArgs) -> Result<Value, String> {
    let path = text_arg(&args, 0)?;
    Ok(Value::from(path.rsplit_once('/').map_or(".", |(d, _)| d)))
}

fn concat(args: FuncArgs) -> Result<Value, String> {
    let mut out = Vec::new();
    for arg in args.iter() {
        out.extend(arg.as_array().ok_or("concat takes lists")?.iter().cloned());
    }
    Ok(Value::Array(out))
}

fn merge(args: FuncArgs) -> Result<Value, String> {
    let mut out = hcl::Map::new();
    for arg in args.iter() {
        for (k, v) in arg.as_object().ok_or("merge takes maps")? {
            out.insert(k.clone(), v.clone());
        }
    }
    Ok(Value::Object(out))
}

fn flatten(args: FuncArgs) -> Result<Value, String> {
    fn into(value: &Value, out: &mut Vec<Value>) {
        match value {
            Value::Array(items) => items.iter().for_each(|v| into(v, out)),
            other => out.push(other.clone()),
        }
    }
    let mut out = Vec::new();
    into(&args[0], &mut out);
    Ok(Value::Array(out))
}

fn join(args: FuncArgs) -> Result<Value, String> {
    let separator = text_arg(&args, 0)?;
    let items = args[1].as_array().ok_or("join takes a list")?;
    let parts: Vec<String> = items.iter().map(to_text).collect::<Result<_, _>>()?;
    Ok(Value::from(parts.join(separator)))
}

fn split(args: FuncArgs) -> Result<Value, String> {
    let separator = text_arg(&args, 0)?;
    let text = text_arg(&args, 1)?;
    Ok(Value::Array(
        text.split(separator).map(Value::from).collect(),
    ))
}

fn toset(args: FuncArgs) -> Result<Value, String> {
    let items = args[0].as_array().ok_or("toset takes a list")?;
    let mut out: Vec<Value> = Vec::new();
    for item in items {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    Ok(Value::Array(out))
}

fn identity(args: FuncArgs) -> Result<Value, String> {
    Ok(args[0].clone())
}

fn tostring(args: FuncArgs) -> Result<Value, String> {
    to_text(&args[0]).map(Value::from)
}

fn to_text(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err("not a string".into()),
    }
}

fn length(args: FuncArgs) -> Result<Value, String> {
    let n = match &args[0] {
        Value::Array(items) => items.len(),
        Value::Object(map) => map.len(),
        Value::String(s) => s.chars().count(),
        _ => return Err("length takes a collection or string".into()),
    };
    Ok(Value::from(n as u64))
}

fn keys(args: FuncArgs) -> Result<Value, String> {
    let map = args[0].as_object().ok_or("keys takes a map")?;
    Ok(Value::Array(map.keys().cloned().map(Value::from).collect()))
}

fn values(args: FuncArgs) -> Result<Value, String> {
    let map = args[0].as_object().ok_or("values takes a map")?;
    Ok(Value::Array(map.values().cloned().collect()))
}

fn str_fn(args: FuncArgs, f: fn(&str) -> String) -> Result<Value, String> {
    Ok(Value::from(f(text_arg(&args, 0)?)))
}

fn trimsuffix(args: FuncArgs) -> Result<Value, String> {
    let (text, suffix) = (text_arg(&args, 0)?, text_arg(&args, 1)?);
    Ok(Value::from(text.strip_suffix(suffix).unwrap_or(text)))
}

fn trimprefix(args: FuncArgs) -> Result<Value, String> {
    let (text, prefix) = (text_arg(&args, 0)?, text_arg(&args, 1)?);
    Ok(Value::from(text.strip_prefix(prefix).unwrap_or(text)))
}

fn replace(args: FuncArgs) -> Result<Value, String> {
    let (text, from, to) = (
        text_arg(&args, 0)?,
        text_arg(&args, 1)?,
        text_arg(&args, 2)?,
    );
    Ok(Value::from(text.replace(from, to)))
}

fn yamlencode(args: FuncArgs) -> Result<Value, String> {
    serde_yaml::to_string(&args[0])
        .map(Value::from)
        .map_err(|e| e.to_string())
}

fn jsonencode(args: FuncArgs) -> Result<Value, String> {
    serde_json::to_string(&args[0])
        .map(Value::from)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_interpolations_and_directives() {
        let mut vars = hcl::Map::new();
        vars.insert("severity".to_string(), Value::from("critical"));
        vars.insert(
            "jobs".to_string(),
            Value::Array(vec![Value::from("node"), Value::from("pve")]),
        );
        let text = "sev: ${severity}\n%{ for j in jobs ~}\n- ${j}\n%{ endfor ~}\nlabels: '{{ $labels.instance }}'\n";
        assert_eq!(
            render_template(text, &vars).unwrap(),
            "sev: critical\n- node\n- pve\nlabels: '{{ $labels.instance }}'\n"
        );
    }

    #[test]
    fn a_template_with_an_unknown_variable_is_an_error() {
        assert!(render_template("${nope}", &hcl::Map::new()).is_err());
    }
}
