//! Fetches the front-end packages the binary embeds from the npm registry, pinned by
//! `frontend/package-lock.json` (`npm ci` checks every package's integrity hash), into
//! `OUT_DIR`: nothing is committed and nothing comes from a CDN at run time. Needs Node.js and
//! npm; runs again only when the package files change.
//!
//! Embedded: the Redoc standalone bundle for the API reference page (`/api/docs`).

use std::{env, fs, path::PathBuf, process::Command};

/// Files copied from `node_modules` into `OUT_DIR`: (source, name).
const EMBEDDED: [(&str, &str); 2] = [
    ("redoc/bundles/redoc.standalone.js", "redoc.standalone.js"),
    ("redoc/LICENSE", "redoc.LICENSE"),
];

/// The package files, in `frontend/`.
const FILES: [&str; 3] = ["package.json", "package-lock.json", ".npmrc"];

fn main() -> Result<(), String> {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let frontend = manifest.join("frontend");
    for file in FILES {
        println!("cargo:rerun-if-changed=frontend/{file}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=NPM");
    let out = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let work = out.join("frontend");
    fs::create_dir_all(&work).map_err(|e| format!("creating {}: {e}", work.display()))?;
    for file in FILES {
        fs::copy(frontend.join(file), work.join(file))
            .map_err(|e| format!("copying frontend/{file}: {e}"))?;
    }
    let npm = env::var("NPM").unwrap_or_else(|_| "npm".to_owned());
    let status = Command::new(&npm)
        .args([
            "ci",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ])
        .current_dir(&work)
        .status()
        .map_err(|e| {
            format!("running `{npm} ci` (building gatehouse-web needs Node.js and npm): {e}")
        })?;
    if !status.success() {
        return Err(format!(
            "`{npm} ci` in {} failed ({status})",
            work.display()
        ));
    }
    for (source, name) in EMBEDDED {
        let from = work.join("node_modules").join(source);
        fs::copy(&from, out.join(name)).map_err(|e| format!("copying {}: {e}", from.display()))?;
    }
    Ok(())
}
