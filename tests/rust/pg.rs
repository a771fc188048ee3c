//! A throwaway PostgreSQL cluster for tests: `initdb` into a folder under the target directory,
//! its own port on 127.0.0.1 and its own socket directory, password authentication over TCP,
//! stopped (and its folder removed) when the test process ends, however it ends.
//!
//! Every PostgreSQL test of a test binary shares one cluster ([`shared`]), each in its own
//! database ([`PgCluster::database`]); a test that restarts the server starts a private one.
//! The binaries come from `AZS_USAGE_PG_BIN`, `pg_config --bindir`, `/usr/lib/postgresql/*/bin`
//! or the PATH (`build.sh setup` installs Debian's `postgresql` when none is found). PostgreSQL
//! refuses to run as root, so as root the cluster runs as the `postgres` user.

#[cfg(unix)]
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The role every test connects as.
pub const PG_USER: &str = "azs";
/// Its password (tests pass it through `PGPASSWORD`, never in a URL).
pub const PG_PASSWORD: &str = "test-only-Pa55";

/// A running cluster.
#[derive(Debug)]
pub struct PgCluster {
    /// TCP port on 127.0.0.1.
    pub port: u16,
    base: PathBuf,
    bin: PathBuf,
    run_as: Option<(u32, u32)>,
    private: bool,
}

/// The cluster of this test binary, started on first use.
pub fn shared() -> &'static PgCluster {
    static CLUSTER: OnceLock<PgCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| PgCluster::start("shared", false))
}

/// Whether a test may run without PostgreSQL (`AZS_USAGE_SKIP_POSTGRES=1`); CI never sets it.
pub fn skip_postgres() -> bool {
    std::env::var("AZS_USAGE_SKIP_POSTGRES").is_ok_and(|v| v == "1")
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn find_bin() -> PathBuf {
    if let Ok(dir) = std::env::var("AZS_USAGE_PG_BIN") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = output(Command::new("pg_config").arg("--bindir"))
        && Path::new(&dir).join("initdb").exists()
    {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).filter(|p| p.join("initdb").exists()).collect())
        .unwrap_or_default();
    versions.sort();
    if let Some(dir) = versions.pop() {
        return dir;
    }
    if let Some(path) = output(Command::new("sh").args(["-c", "command -v initdb"]))
        && let Some(dir) = Path::new(&path).parent()
    {
        return dir.to_path_buf();
    }
    panic!(
        "PostgreSQL is not installed (no initdb found): run `./build.sh setup` as root (it installs Debian's postgresql), \
         set AZS_USAGE_PG_BIN to its bin directory, or AZS_USAGE_SKIP_POSTGRES=1 to skip the PostgreSQL half"
    );
}

/// `(uid, gid)` of the `postgres` user when running as root.
#[cfg(not(unix))]
fn run_as() -> Option<(u32, u32)> {
    None
}

/// `(uid, gid)` of the `postgres` user when running as root.
#[cfg(unix)]
fn run_as() -> Option<(u32, u32)> {
    let uid = output(Command::new("id").arg("-u"))?;
    if uid != "0" {
        return None;
    }
    let u = output(Command::new("id").args(["-u", "postgres"])).and_then(|s| s.parse().ok());
    let g = output(Command::new("id").args(["-g", "postgres"])).and_then(|s| s.parse().ok());
    match (u, g) {
        (Some(u), Some(g)) => Some((u, g)),
        _ => panic!(
            "running as root, and there is no 'postgres' user to run the test cluster as (PostgreSQL refuses root)"
        ),
    }
}

/// `<target dir>/tmp`, found from the test binary's path (`<target>/<profile>/deps/<binary>`).
fn target_tmp() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let target = exe.ancestors().nth(3).map(Path::to_path_buf).unwrap_or_else(std::env::temp_dir);
    target.join("tmp")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

impl PgCluster {
    /// Initialises and starts a cluster in `target/tmp/pg-<name>-<pid>-<n>`. A private cluster is
    /// stopped when dropped; every cluster is stopped when the test process exits.
    pub fn start(name: &str, private: bool) -> PgCluster {
        static N: AtomicU32 = AtomicU32::new(0);
        let bin = find_bin();
        let run_as = run_as();
        let base = target_tmp().join(format!("pg-{name}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
        let _ = std::fs::remove_dir_all(&base);
        // Earlier clusters' watchers (running as postgres) empty their folders but cannot remove them
        // from the root-owned tmp folder: sweep the empty ones.
        if let Ok(entries) = std::fs::read_dir(target_tmp()) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with("pg-") {
                    let _ = std::fs::remove_dir(e.path());
                }
            }
        }
        std::fs::create_dir_all(base.join("sock")).expect("cluster folder");
        std::fs::write(base.join("pwfile"), PG_PASSWORD).expect("password file");
        let cluster = PgCluster { port: free_port(), base, bin, run_as, private };
        #[cfg(unix)]
        if let Some((u, g)) = run_as {
            for entry in [cluster.base.clone(), cluster.base.join("sock"), cluster.base.join("pwfile")] {
                std::os::unix::fs::chown(&entry, Some(u), Some(g)).expect("chown to postgres");
            }
        }
        let status = cluster
            .command("initdb")
            .arg("-D")
            .arg(cluster.data())
            .args(["-U", PG_USER, "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C", "-N"])
            .arg(format!("--pwfile={}", cluster.base.join("pwfile").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("initdb runs");
        assert!(status.success(), "initdb failed in {}", cluster.base.display());
        cluster.start_server();
        cluster.watch_parent();
        cluster
    }

    fn data(&self) -> PathBuf {
        self.base.join("data")
    }

    fn command(&self, tool: &str) -> Command {
        let mut c = Command::new(self.bin.join(tool));
        c.env_remove("PGPASSWORD").env("LC_ALL", "C");
        #[cfg(unix)]
        if let Some((u, g)) = self.run_as {
            c.uid(u).gid(g);
        }
        c
    }

    fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            self.port,
            self.base.join("sock").display()
        );
        let status = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-w", "-t", "60", "-l"])
            .arg(self.base.join("server.log"))
            .args(["-o", &options, "start"])
            .stdout(Stdio::null())
            .status()
            .expect("pg_ctl runs");
        assert!(status.success(), "the test cluster did not start (see {})", self.base.join("server.log").display());
    }

    /// Stops the cluster and removes its folder when this process is gone (even if killed).
    #[cfg(unix)]
    fn watch_parent(&self) {
        let script = format!(
            "while [ -d /proc/{pid} ] || ps -p {pid} >/dev/null 2>&1; do sleep 1; done; '{pg_ctl}' -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{base}'",
            pid = std::process::id(),
            pg_ctl = self.bin.join("pg_ctl").display(),
            data = self.data().display(),
            base = self.base.display()
        );
        let mut c = Command::new("sh");
        c.args(["-c", &script]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        if let Some((u, g)) = self.run_as {
            c.uid(u).gid(g);
        }
        // Its own process group, so a Ctrl+C of the test run does not take it down first. It
        // outlives this process by design (it stops the cluster when we are gone): never waited on.
        c.process_group(0);
        #[allow(clippy::zombie_processes)]
        let _watcher = c.spawn().expect("cluster watcher starts");
    }

    /// Stops the cluster and removes its folder when this process is gone (even if killed).
    #[cfg(not(unix))]
    fn watch_parent(&self) {
        let script = format!(
            "Wait-Process -Id {pid} -ErrorAction SilentlyContinue; & '{pg_ctl}' -D '{data}' -m immediate stop; Remove-Item -Recurse -Force '{base}'",
            pid = std::process::id(),
            pg_ctl = self.bin.join("pg_ctl").display(),
            data = self.data().display(),
            base = self.base.display()
        );
        let _ = Command::new("powershell")
            .args(["-NoProfile", "-NonInteractive", "-Command", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }

    /// `postgres://azs@127.0.0.1:PORT/DB?sslmode=disable` (the password goes in `PGPASSWORD`).
    pub fn url(&self, db: &str) -> String {
        format!("postgres://{PG_USER}@127.0.0.1:{}/{db}?sslmode=disable", self.port)
    }

    /// Runs SQL through `psql` in `db`; returns its unaligned output (`-At`).
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                PG_USER,
                "-d",
                db,
                "-c",
                sql,
            ])
            .env("PGPASSWORD", PG_PASSWORD)
            .output()
            .expect("psql runs");
        assert!(out.status.success(), "psql failed on {sql}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Creates database `name` (dropping an earlier one) and returns its URL.
    pub fn database(&self, name: &str) -> String {
        self.psql("postgres", &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
        self.url(name)
    }

    /// Restarts the server (fast shutdown: sessions are terminated, as in a failover or a reboot).
    pub fn restart(&self, down_for: Duration) {
        let status = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-w", "-m", "fast", "stop"])
            .stdout(Stdio::null())
            .status()
            .expect("pg_ctl stop");
        assert!(status.success(), "the test cluster did not stop");
        std::thread::sleep(down_for);
        self.start_server();
    }

    /// Waits until the server accepts connections.
    pub fn wait_ready(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let ok = Command::new(self.bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return;
            }
            assert!(Instant::now() < deadline, "the test cluster is not ready");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if self.private {
            let _ = self
                .command("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-m", "immediate", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = std::fs::remove_dir_all(&self.base);
        }
    }
}
