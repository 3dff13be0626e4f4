package main

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trackerkit/trackerkit/transport"
)

// displayURL is how the CLI shows a raw tracker URL: the form the
// announcer's events carry for it (transport.Redact of the URL as the
// Client interns it: spaces trimmed, scheme and host lowercased, fragment
// dropped), so that a row and its events meet. Each distinct URL has its own
// form (transport.Redact tags each secret), and -once waits for every one.
func displayURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return transport.RedactString(raw)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	u.Fragment, u.RawFragment = "", ""
	return transport.Redact(u)
}

// minSecretLen is the shortest path segment or query value of a tracker URL
// that scrub treats as a secret when it appears alone in a message. Passkeys
// are 16 to 40 characters; shorter values ("1", "announce") are too common
// to replace without mangling messages.
const minSecretLen = 16

// newScrubber returns a function that removes the secrets of the given raw
// tracker URLs from a message: the whole URL (in its raw and re-encoded
// forms) becomes its redacted form, and each long path segment or query
// value becomes REDACTED. It is a second line of defence: the library
// already redacts what it emits, but a message from a tracker or a lower
// layer might still quote a URL.
func newScrubber(rawURLs []string) func(string) string {
	var pairs []string
	add := func(old, repl string) {
		if old != "" && old != repl {
			pairs = append(pairs, old, repl)
		}
	}
	// Whole URLs first: strings.Replacer prefers the earliest and, among
	// those, the first listed match.
	var secrets []string
	for _, raw := range rawURLs {
		red := displayURL(raw)
		add(raw, red)
		u, err := url.Parse(raw)
		if err != nil {
			continue
		}
		add(u.String(), red)
		for _, seg := range strings.Split(u.EscapedPath(), "/") {
			secrets = append(secrets, seg)
			if s, err := url.PathUnescape(seg); err == nil {
				secrets = append(secrets, s)
			}
		}
		for kv := range strings.SplitSeq(u.RawQuery, "&") {
			k, v, hasValue := strings.Cut(kv, "=")
			if !hasValue { // a bare token: "?3f2a9c0d..."
				v = k
			}
			secrets = append(secrets, v)
			if s, err := url.QueryUnescape(v); err == nil {
				secrets = append(secrets, s)
			}
		}
		if u.User != nil {
			secrets = append(secrets, u.User.String())
			if p, ok := u.User.Password(); ok {
				secrets = append(secrets, p)
			}
		}
	}
	for _, s := range secrets {
		if len(s) >= minSecretLen {
			add(s, transport.Redacted)
		}
	}
	if len(pairs) == 0 {
		return func(s string) string { return s }
	}
	r := strings.NewReplacer(pairs...)
	return r.Replace
}

// sanitize makes text from the network safe to print on a terminal: control
// characters (an ESC could rewrite the screen), bidirectional overrides and
// invalid UTF-8 are shown as escapes.
func sanitize(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
