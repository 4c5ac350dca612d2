//! Steps of `features/layout.feature`: the repository has the parts the plan names.

use std::path::Path;

use cucumber::{given, then};

use super::World;

#[derive(Debug, Default)]
pub struct LayoutState {
    /// The directory the current step's paths are relative to.
    base: Option<std::path::PathBuf>,
}

#[given("the repository under test")]
fn the_repository_under_test(world: &mut World) {
    world.layout.base = Some(world.root().path().to_path_buf());
}

#[given(expr = "the module directory {string}")]
fn the_module_directory(world: &mut World, dir: String) {
    world.layout.base = Some(world.root().join(dir));
}

#[then(expr = "it has the file {string}")]
fn it_has_the_file(world: &mut World, relative: String) -> Result<(), String> {
    expect_path(world, &relative, "file", Path::is_file)
}

#[then(expr = "it has the directory {string}")]
fn it_has_the_directory(world: &mut World, relative: String) -> Result<(), String> {
    expect_path(world, &relative, "directory", Path::is_dir)
}

fn expect_path(
    world: &World,
    relative: &str,
    kind: &str,
    exists: fn(&Path) -> bool,
) -> Result<(), String> {
    let base = world
        .layout
        .base
        .as_ref()
        .ok_or("no directory was chosen by an earlier step")?;
    let path = base.join(relative);
    if exists(&path) {
        Ok(())
    } else {
        Err(format!("expected the {kind} {} to exist", path.display()))
    }
}
