//! Knowledge articles' Markdown, rendered for staff pages. Safe by construction rather than by cleaning HTML
//! afterwards: raw HTML in the source (`<script>`, `<iframe>`, `onerror=` …) is shown as text, never passed
//! through; links keep only `http`, `https`, `mailto` and relative targets (a `javascript:` or `data:` link
//! becomes plain text); images become links, so an article cannot make an agent's browser fetch a tracking
//! pixel. pulldown-cmark escapes every text and attribute it writes.

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html};

/// Renders Markdown to HTML that is safe to embed in a page.
pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    // A link whose target is refused is dropped with its closing tag; its text stays.
    let mut dropped_links: Vec<bool> = Vec::new();
    let events = Parser::new_ext(markdown, options).filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
            let safe = safe_target(&dest_url);
            dropped_links.push(!safe);
            safe.then_some(Event::Start(Tag::Link { link_type, dest_url, title, id }))
        }
        Event::End(TagEnd::Link) => (!dropped_links.pop().unwrap_or(false)).then_some(Event::End(TagEnd::Link)),
        Event::Start(Tag::Image { dest_url, title, id, .. }) => {
            let safe = safe_target(&dest_url);
            dropped_links.push(!safe);
            safe.then_some(Event::Start(Tag::Link { link_type: LinkType::Inline, dest_url, title, id }))
        }
        Event::End(TagEnd::Image) => (!dropped_links.pop().unwrap_or(false)).then_some(Event::End(TagEnd::Link)),
        other => Some(other),
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// The Markdown as plain text for a chat reply: formatting marks dropped, list items on their own lines ("- " or
/// their number), paragraphs separated by a blank line, a link as its text followed by the address.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut numbers: Vec<Option<u64>> = Vec::new();
    let mut link: Vec<String> = Vec::new();
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Text(text) | Event::Code(text) | Event::Html(text) | Event::InlineHtml(text) => out.push_str(&text),
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::Start(Tag::List(first)) => numbers.push(first),
            Event::End(TagEnd::List(_)) => {
                numbers.pop();
                if numbers.is_empty() {
                    out.push('\n');
                }
            }
            Event::Start(Tag::Item) => {
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str(&"  ".repeat(numbers.len().saturating_sub(1)));
                match numbers.last_mut() {
                    Some(Some(n)) => {
                        out.push_str(&format!("{n}. "));
                        *n += 1;
                    }
                    _ => out.push_str("- "),
                }
            }
            Event::End(TagEnd::Item) | Event::End(TagEnd::TableRow) | Event::End(TagEnd::TableHead) => out.push('\n'),
            Event::End(TagEnd::TableCell) => out.push(' '),
            Event::End(TagEnd::Paragraph) | Event::End(TagEnd::Heading(_)) => out.push_str(if numbers.is_empty() { "\n\n" } else { "" }),
            Event::Start(Tag::Link { dest_url, .. }) | Event::Start(Tag::Image { dest_url, .. }) => link.push(dest_url.to_string()),
            Event::End(TagEnd::Link) | Event::End(TagEnd::Image) => {
                if let Some(url) = link.pop().filter(|u| !u.is_empty() && safe_target(&CowStr::from(u.as_str()))) {
                    out.push_str(&format!("（{url}）"));
                }
            }
            _ => {}
        }
    }
    let lines: Vec<&str> = out.lines().map(str::trim_end).collect();
    let mut text = lines.join("\n");
    while text.contains("\n\n\n") {
        text = text.replace("\n\n\n", "\n\n");
    }
    text.trim().to_owned()
}

/// Whether a link target may be followed: web and mail links, and relative ones (no scheme at all).
fn safe_target(url: &CowStr<'_>) -> bool {
    // Browsers ignore ASCII whitespace and control characters inside a scheme ("java\tscript:"), so those are
    // removed before looking at it.
    let compact: String = url.chars().filter(|c| !c.is_ascii_whitespace() && !c.is_control()).collect();
    let lower = compact.to_ascii_lowercase();
    match lower.find(':') {
        None => true,
        // A colon after the first slash, `?` or `#` is part of a relative path, not a scheme.
        Some(colon) if lower[..colon].contains(['/', '?', '#']) => true,
        Some(colon) => matches!(&lower[..colon], "http" | "https" | "mailto"),
    }
}

#[cfg(test)]
mod tests {
    use super::{plain_text, render};

    #[test]
    fn markdown_renders_headings_lists_emphasis_tables_and_links() {
        let html = render("## 运费\n\n- **质量问题**：我们承担\n- 其他：[运费险](https://help.example.com/x?a=1&b=2)\n\n|a|b|\n|-|-|\n|1|2|\n");
        assert!(html.contains("<h2>运费</h2>"), "{html}");
        assert!(html.contains("<li><strong>质量问题</strong>：我们承担</li>"), "{html}");
        assert!(html.contains(r#"<a href="https://help.example.com/x?a=1&amp;b=2">运费险</a>"#), "{html}");
        assert!(html.contains("<table>"), "{html}");
        assert!(render("[订单](/inbox?c=1) [mail](mailto:kf@example.com)").contains(r#"href="/inbox?c=1""#));
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        for hostile in [
            "<script>alert(1)</script>",
            "正文 <img src=x onerror=alert(1)> 结束",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<div>\n<script>alert(1)</script>\n</div>",
            "<a href=\"javascript:alert(1)\">点我</a>",
            "<svg onload=alert(1)>",
        ] {
            let html = render(hostile);
            for tag in ["<script", "<img", "<iframe", "<div", "<a ", "<svg"] {
                assert!(!html.contains(tag), "{hostile:?} → {html}");
            }
            assert!(html.contains("&lt;"), "shown as text: {html}");
        }
    }

    #[test]
    fn dangerous_link_targets_keep_only_their_text() {
        for target in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "java\tscript:alert(1)",
            " javascript:alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
        ] {
            for source in [format!("[点我]({target})"), format!("[点我](<{target}>)"), format!("![图]({target})")] {
                let html = render(&source);
                assert!(!html.contains("href") && !html.contains("src="), "{source:?} → {html}");
            }
        }
        let html = render("[点我](javascript:alert(1)) 后面 [好链接](https://example.com)");
        assert!(html.contains("点我") && html.contains(r#"<a href="https://example.com">好链接</a>"#), "{html}");
        // Reference-style links go through the same check.
        let html = render("[点我][x]\n\n[x]: javascript:alert(1)\n");
        assert!(!html.contains("href"), "{html}");
    }

    #[test]
    fn plain_text_keeps_words_lists_and_addresses() {
        let text = plain_text("## 退货运费\n\n**质量问题**：我们承担。\n\n1. 申请售后\n2. 寄回\n\n- 详情见[帮助](https://help.example.com)\n\n<b>注意</b>");
        assert_eq!(text, "退货运费\n\n质量问题：我们承担。\n\n1. 申请售后\n2. 寄回\n\n- 详情见帮助（https://help.example.com）\n\n<b>注意</b>");
        assert_eq!(plain_text("[坏链接](javascript:alert(1))"), "坏链接");
    }

    #[test]
    fn images_become_links_and_attributes_are_escaped() {
        let html = render("![尺码表](https://cdn.example.com/size.png \"尺码\")");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains(r#"<a href="https://cdn.example.com/size.png" title="尺码">尺码表</a>"#), "{html}");
        let html = render("[x](https://example.com/\"onmouseover=alert(1))");
        assert!(!html.contains("\"onmouseover"), "{html}");
    }
}
