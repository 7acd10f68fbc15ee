//! Exports the screen corpus as raw RGBA at a capture scale, for binding tests on hosts that
//! cannot decode PNG in the test language (Swift on Linux has no image codecs).
//!
//! Writes `<out>/manifest.json` (`[{"id", "width", "height", "scale", "rgba", "tree"}]`), one
//! `<id>.rgba` (packed RGBA, `width × height × 4` bytes) and each view-tree JSON with a window
//! node of the screen's size above its root, as a shim walking from the window reports it (the
//! core refuses a tree whose root does not cover the frame).
//! Usage: `cargo run --release --example export_corpus -- OUT_DIR [SCALE]` (default 1.25).

use std::path::PathBuf;

use rejourney_harness::{corpus_dir, load_corpus};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().ok_or("usage: export_corpus OUT_DIR [SCALE]")?);
    let scale: f32 = match args.next() {
        Some(s) => s.parse()?,
        None => 1.25,
    };
    if !(scale.is_finite() && scale > 0.0 && scale <= 4.0) {
        return Err(format!("scale {scale} out of range").into());
    }
    std::fs::create_dir_all(&out)?;
    let dir = corpus_dir();
    let mut manifest = Vec::new();
    for screen in load_corpus(&dir)? {
        let (rgba, spec) = screen.render_at(scale);
        std::fs::write(out.join(format!("{}.rgba", screen.id)), &rgba)?;
        let tree = format!("{}.json", screen.id);
        let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join(&tree))?)?;
        let document = json["root"].take();
        json["root"] = serde_json::json!({
            "id": 0, "type": rejourney_harness::WINDOW_CLASS, "kind": "container",
            "x": 0, "y": 0, "width": screen.width_pt, "height": screen.height_pt,
            "children": [document],
        });
        std::fs::write(out.join(&tree), serde_json::to_vec(&json)?)?;
        manifest.push(serde_json::json!({
            "id": screen.id, "width": spec.width, "height": spec.height, "scale": spec.scale,
            "rgba": format!("{}.rgba", screen.id), "tree": tree,
        }));
    }
    std::fs::write(
        out.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest)?,
    )?;
    eprintln!("exported {} screens to {}", manifest.len(), out.display());
    Ok(())
}
