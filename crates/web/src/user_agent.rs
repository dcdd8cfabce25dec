//! A short "browser on system" summary of a User-Agent header for the session list. A simple
//! look for well-known product tokens; order matters because browsers imitate each other.

/// What a User-Agent says about the device, as far as a simple parse can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device {
    /// The browser or client, e.g. `Firefox`.
    pub browser: Option<&'static str>,
    /// The operating system, e.g. `Windows`.
    pub system: Option<&'static str>,
}

const BROWSERS: &[(&str, &str)] = &[
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Vivaldi/", "Vivaldi"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
    ("okhttp/", "OkHttp"),
    ("python-requests/", "Python Requests"),
];

const SYSTEMS: &[(&str, &str)] = &[
    ("Windows", "Windows"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
    ("FreeBSD", "FreeBSD"),
];

/// Reads the browser and system from a User-Agent header.
pub fn parse(user_agent: &str) -> Device {
    let find = |table: &[(&str, &'static str)]| {
        table
            .iter()
            .find(|(token, _)| user_agent.contains(token))
            .map(|(_, name)| *name)
    };
    Device {
        browser: find(BROWSERS),
        system: find(SYSTEMS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(user_agent: &str) -> (Option<&'static str>, Option<&'static str>) {
        let device = parse(user_agent);
        (device.browser, device.system)
    }

    #[test]
    fn common_browsers_are_named() {
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
                ("Firefox", "Windows"),
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
                ("Safari", "macOS"),
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
                ("Chrome", "Linux"),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
                ("Edge", "Windows"),
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.122 Mobile Safari/537.36",
                ("Chrome", "Android"),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                ("Safari", "iOS"),
            ),
            ("curl/8.8.0", ("curl", "")),
        ];
        for (agent, (browser, system)) in cases {
            let (found_browser, found_system) = summary(agent);
            assert_eq!(found_browser, Some(browser), "{agent}");
            assert_eq!(found_system.unwrap_or(""), system, "{agent}");
        }
    }

    #[test]
    fn unknown_agents_name_nothing() {
        assert_eq!(summary("something/1.0"), (None, None));
        assert_eq!(summary(""), (None, None));
    }
}
