//! The papers' experiments on the Verilated NICs, in simulated cycles (never wall-clock):
//! [`accio`] (Accio, NINeS '26) and [`lauberhorn`] (Lauberhorn, HotOS '25). Each returns
//! its figures as typed values (the test `tests/experiments.rs` checks them against the
//! exact-cycle tests) and as [`Table`]s and [`Plot`]s, which [`write`] puts in a directory
//! as Markdown, CSV and SVG. `cargo run --release -p testbench --bin experiments` runs them.

pub mod accio;
pub mod lauberhorn;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// The RNG of experiment `what` in a run seeded with `seed`: a run repeats exactly.
pub fn rng(seed: u64, what: &str) -> ChaCha8Rng {
    // FNV-1a of the name, so each experiment draws its own numbers.
    let h = what.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    ChaCha8Rng::seed_from_u64(seed ^ h)
}

/// The NICs' core clock: nanoseconds per cycle at 250 MHz.
pub const NS_PER_CYCLE: f64 = 4.0;

/// How much each experiment does.
#[derive(Clone, Debug)]
pub struct Scale {
    /// Repetitions of each latency measurement.
    pub reps: usize,
    /// Datagrams of the UDP sink.
    pub sink_datagrams: usize,
    /// Requests of each connection-multiplexing run.
    pub conn_requests: usize,
    /// Connection counts of the multiplexing runs (on a 64-slot ICT).
    pub connections: Vec<usize>,
    /// Cycles of the idle TRYAGAIN and preemption runs.
    pub idle_cycles: u64,
}

impl Scale {
    /// A few seconds: what the test runs.
    pub fn small() -> Scale {
        Scale {
            reps: 3,
            sink_datagrams: 200,
            conn_requests: 24,
            connections: vec![1, 4, 64, 256],
            idle_cycles: 20_000,
        }
    }

    /// The command's default.
    pub fn full() -> Scale {
        Scale {
            reps: 20,
            sink_datagrams: 4000,
            conn_requests: 400,
            connections: vec![1, 4, 64, 256],
            idle_cycles: 200_000,
        }
    }
}

/// A table: a file stem, a title, a header row, rows and notes under it.
#[derive(Clone, Debug)]
pub struct Table {
    pub name: String,
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub notes: Vec<String>,
}

impl Table {
    pub fn new(name: &str, title: &str, header: &[&str]) -> Table {
        Table {
            name: name.into(),
            title: title.into(),
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        assert_eq!(
            cells.len(),
            self.header.len(),
            "{}: a row's cells",
            self.name
        );
        self.rows.push(cells);
    }

    pub fn markdown(&self) -> String {
        let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
        let mut s = format!("### {}\n\n", self.title);
        s += &line(&self.header);
        s += &line(&vec!["---".to_string(); self.header.len()]);
        for r in &self.rows {
            s += &line(r);
        }
        for n in &self.notes {
            s += &format!("\n{n}\n");
        }
        s
    }

    pub fn csv(&self) -> String {
        let field = |c: &String| {
            if c.contains([',', '"', '\n']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        };
        let line = |cells: &[String]| cells.iter().map(field).collect::<Vec<_>>().join(",") + "\n";
        let mut s = line(&self.header);
        for r in &self.rows {
            s += &line(r);
        }
        s
    }
}

/// Line series over a common x axis, for an SVG.
#[derive(Clone, Debug)]
pub struct Plot {
    pub name: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<(String, Vec<(f64, f64)>)>,
}

impl Plot {
    /// The plot as an SVG file at `path`.
    pub fn svg(&self, path: &Path) -> anyhow::Result<()> {
        use plotters::prelude::*;
        let points = || self.series.iter().flat_map(|(_, p)| p.iter());
        let x_max = points().map(|p| p.0).fold(1.0, f64::max);
        let x_min = points().map(|p| p.0).fold(x_max, f64::min);
        let y_max = points().map(|p| p.1).fold(1.0, f64::max) * 1.1;
        let root = SVGBackend::new(path, (720, 440)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&self.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(x_min..x_max, 0.0..y_max)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        for (k, (label, pts)) in self.series.iter().enumerate() {
            let color = Palette99::pick(k).to_rgba();
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .label(label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    }
}

/// Writes every table as `NAME.md` and `NAME.csv`, all of them into `README.md`, and
/// every plot as `NAME.svg`, into `dir`; the paths written.
pub fn write(dir: &Path, tables: &[Table], plots: &[Plot]) -> anyhow::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let mut all = String::from("# The papers' experiments, in simulated cycles (250 MHz)\n\n");
    for t in tables {
        for (ext, text) in [("md", t.markdown()), ("csv", t.csv())] {
            let p = dir.join(format!("{}.{ext}", t.name));
            std::fs::write(&p, text)?;
            written.push(p.display().to_string());
        }
        all += &t.markdown();
        all += "\n";
    }
    for p in plots {
        let path = dir.join(format!("{}.svg", p.name));
        p.svg(&path)?;
        all += &format!("![{}]({}.svg)\n\n", p.title, p.name);
        written.push(path.display().to_string());
    }
    let p = dir.join("README.md");
    std::fs::write(&p, all)?;
    written.push(p.display().to_string());
    Ok(written)
}

/// Summary of a sample of cycle counts.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub min: u64,
    pub median: u64,
    pub p99: u64,
    pub max: u64,
    pub mean: f64,
}

impl Summary {
    pub fn of(xs: &[u64]) -> Summary {
        if xs.is_empty() {
            return Summary::default();
        }
        let mut v = xs.to_vec();
        v.sort_unstable();
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        Summary {
            n: v.len(),
            min: v[0],
            median: at(0.5),
            p99: at(0.99),
            max: v[v.len() - 1],
            mean: v.iter().sum::<u64>() as f64 / v.len() as f64,
        }
    }

    /// `median (min–max)` in cycles, or the one value.
    pub fn cycles(&self) -> String {
        if self.n == 0 {
            "–".into()
        } else if self.min == self.max {
            format!("{}", self.min)
        } else {
            format!("{} ({}–{})", self.median, self.min, self.max)
        }
    }

    /// The median in ns at 250 MHz.
    pub fn ns(&self) -> String {
        if self.n == 0 {
            "–".into()
        } else {
            format!("{:.0}", self.median as f64 * NS_PER_CYCLE)
        }
    }
}
