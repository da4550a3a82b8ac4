//! A real browser for the console tests: Debian's headless Chromium driven over WebDriver by
//! its `chromedriver` (fantoccini), with screenshots of each step and a download folder.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// Where the browser and its driver are (Debian's `chromium` and `chromium-driver`).
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long any one thing may take to appear on the page.
const STEP_LIMIT: Duration = Duration::from_secs(60);
/// How many times a click finds its element again after the page replaced it.
const STALE_RETRIES: usize = 5;

/// A headless Chromium session; the driver process ends with it.
pub struct Browser {
    pub client: Client,
    _driver: Driver,
    pub downloads: PathBuf,
    pub screenshots: PathBuf,
    _profile: PathBuf,
    shots: usize,
    /// Downloads already handed out by [`Browser::downloaded`].
    taken: Vec<PathBuf>,
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium session through it.
    pub async fn start(name: &str) -> Browser {
        for binary in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(binary).exists(),
                "{binary} is missing: ./infra/test.sh installs Debian's chromium and chromium-driver"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(Driver)
            .expect("chromedriver starts");
        let root = target_dir().join("console-test").join(name);
        let _ = std::fs::remove_dir_all(&root);
        let (downloads, screenshots, profile) = (
            root.join("downloads"),
            root.join("screenshots"),
            root.join("profile"),
        );
        for dir in [&downloads, &screenshots, &profile] {
            std::fs::create_dir_all(dir).expect("test folders");
        }
        let (downloads, screenshots, profile) = (
            std::fs::canonicalize(downloads).expect("a download folder"),
            std::fs::canonicalize(screenshots).expect("a screenshot folder"),
            std::fs::canonicalize(profile).expect("a profile folder"),
        );
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                // The flags this machine needs (its network is closed: no background fetches).
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1366,900",
                    format!("--user-data-dir={}", profile.display())],
                "prefs": {
                    "download.default_directory": downloads.display().to_string(),
                    "download.prompt_for_download": false,
                }
            }
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(e) if started.elapsed() < Duration::from_secs(20) => {
                    tracing::debug!("chromedriver not ready: {e}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("no browser session through chromedriver: {e}"),
            }
        };
        Browser {
            client,
            _driver: driver,
            downloads,
            screenshots,
            _profile: profile,
            shots: 0,
            taken: Vec::new(),
        }
    }

    /// Saves a screenshot of the page as `NN-{step}.png` and says where.
    pub async fn shot(&mut self, step: &str) {
        self.shots += 1;
        let png = self.client.screenshot().await.expect("a screenshot");
        let path = self
            .screenshots
            .join(format!("{:02}-{step}.png", self.shots));
        std::fs::write(&path, png).expect("the screenshot is saved");
        println!("screenshot: {}", path.display());
    }

    /// The first element `css` matches, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        self.find_within(css, STEP_LIMIT).await
    }

    /// The same, waiting up to `limit`; on failure, a screenshot and the page's text.
    pub async fn find_within(&self, css: &str, limit: Duration) -> Element {
        match self
            .client
            .wait()
            .at_most(limit)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => {
                let page = self.failure_evidence().await;
                panic!("{css} did not appear within {limit:?}: {e}\n{page}")
            }
        }
    }

    /// Saves `failure.png` and returns the main region's text, for a failed wait.
    async fn failure_evidence(&self) -> String {
        if let Ok(png) = self.client.screenshot().await {
            let path = self.screenshots.join("failure.png");
            let _ = std::fs::write(&path, png);
            println!("screenshot: {}", path.display());
        }
        let text = self
            .client
            .execute(
                "return document.getElementById('main')?.innerText ?? '';",
                vec![],
            )
            .await
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .unwrap_or_default();
        format!("the page said:\n{text}")
    }

    /// Clicks what `css` matches.
    pub async fn click(&self, css: &str) {
        self.click_located(Locator::Css(css), css).await;
    }

    /// Clicks the button (or link) whose text is `text`.
    pub async fn click_text(&self, text: &str) {
        let xpath =
            format!("//button[normalize-space()='{text}'] | //a[normalize-space()='{text}']");
        self.click_located(Locator::XPath(&xpath), text).await;
    }

    /// Finds and clicks; when the page replaced the element between the two (a live list
    /// redrawn), finds it again, as a person would click the one now on screen.
    async fn click_located(&self, locator: Locator<'_>, what: &str) {
        for _ in 0..STALE_RETRIES {
            let element = self
                .client
                .wait()
                .at_most(STEP_LIMIT)
                .for_element(locator)
                .await
                .unwrap_or_else(|e| panic!("nothing to click for '{what}': {e}"));
            match element.click().await {
                Ok(()) => return,
                Err(e) if e.is_stale_element_reference() => continue,
                Err(e) => panic!("clicking '{what}': {e}"),
            }
        }
        panic!("'{what}' was replaced each time it was found ({STALE_RETRIES} tries)");
    }

    /// Replaces the text of the field `css` matches.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect(css);
        field.send_keys(text).await.expect(css);
    }

    /// Picks the option with value `value` in the select `css` matches.
    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("{css}: no option {value}: {e}"));
    }

    /// The text of what `css` matches; when a live view redrew it between finding and reading,
    /// reads the one now on screen.
    pub async fn text(&self, css: &str) -> String {
        for _ in 0..STALE_RETRIES {
            match self.find(css).await.text().await {
                Ok(text) => return text,
                Err(e) if e.is_stale_element_reference() => continue,
                Err(e) => panic!("reading '{css}': {e}"),
            }
        }
        panic!("'{css}' was replaced each time it was found ({STALE_RETRIES} tries)");
    }

    /// Waits until the script `condition` (an expression) is true on the page.
    pub async fn until(&self, what: &str, limit: Duration, condition: &str) {
        let started = Instant::now();
        loop {
            let held = self
                .client
                .execute(&format!("return !!({condition});"), vec![])
                .await
                .is_ok_and(|v| v == Value::Bool(true));
            if held {
                return;
            }
            if started.elapsed() >= limit {
                let page = self.failure_evidence().await;
                panic!("{what}: `{condition}` still false after {limit:?}\n{page}");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Evaluates `expression` on the page.
    pub async fn eval(&self, expression: &str) -> Value {
        self.client
            .execute(&format!("return {expression};"), vec![])
            .await
            .expect(expression)
    }

    /// Fails when a form control or button on the page (the sidebar and the confirm dialog
    /// included) has no name a screen reader would read: a label, `aria-label`,
    /// `aria-labelledby`, or a button's own text.
    pub async fn assert_every_control_is_labelled(&self, page: &str) {
        let unlabelled = self
            .eval(
                "[...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')] \
                 .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')?.trim() \
                   && !e.getAttribute('aria-labelledby') \
                   && !(e.tagName === 'BUTTON' && e.textContent.trim())) \
                 .map((e) => e.name || e.id || e.outerHTML)",
            )
            .await;
        assert_eq!(unlabelled, json!([]), "unlabelled controls on {page}");
    }

    /// Waits for a new finished download (no partial file left) and returns its path.
    pub async fn downloaded(&mut self) -> PathBuf {
        let started = Instant::now();
        loop {
            let files: Vec<PathBuf> = std::fs::read_dir(&self.downloads)
                .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            // Chromium writes a hidden temporary file, then `*.crdownload`, then the file.
            let partial = |p: &PathBuf| {
                p.extension().is_some_and(|e| e == "crdownload")
                    || p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            };
            let done: Vec<&PathBuf> = files
                .iter()
                .filter(|p| !partial(p) && !self.taken.contains(p))
                .collect();
            if let (false, Some(file)) = (files.iter().any(partial), done.first()) {
                let file = (*file).clone();
                self.taken.push(file.clone());
                return file;
            }
            assert!(started.elapsed() < STEP_LIMIT, "no download finished");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Ends the session (the driver process ends when dropped).
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// The chromedriver process, stopped when the browser is dropped (also when a test fails).
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The workspace's target folder (shared by every crate), where test output is kept.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}
