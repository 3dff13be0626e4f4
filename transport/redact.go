package transport

import (
	"net/url"
	"strings"
)

// Redacted stands in for secret URL parts.
const Redacted = "REDACTED"

// Redact returns u as text fit for logs, errors and events: private trackers
// put passkeys in the path ("/3f2a.../announce") or the query ("?passkey=..."),
// so every path segment but a final "announce"/"scrape" word is replaced, each
// query value is replaced (keys are kept, they help debugging), and any user
// information is dropped. Scheme, host and port are kept.
//
//	https://t.example/abc123/announce?passkey=xyz
//	-> https://t.example/REDACTED/announce?passkey=REDACTED
func Redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host}
	if u.Opaque != "" {
		r.Opaque = Redacted
	}
	if p := u.EscapedPath(); p != "" && p != "/" {
		segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
		for i, s := range segs {
			if s == "" || (i == len(segs)-1 && isPublicSegment(s)) {
				continue
			}
			segs[i] = Redacted
		}
		r.RawPath = "/" + strings.Join(segs, "/")
		r.Path, _ = url.PathUnescape(r.RawPath) // segments came from EscapedPath: valid escapes
	} else {
		r.Path = p
	}
	if u.RawQuery != "" {
		var b strings.Builder
		for i, kv := range strings.Split(u.RawQuery, "&") {
			if i > 0 {
				b.WriteByte('&')
			}
			k, _, hasValue := strings.Cut(kv, "=")
			b.WriteString(k)
			if hasValue {
				b.WriteString("=" + Redacted)
			}
		}
		r.RawQuery = b.String()
	}
	return r.String()
}

// RedactString parses s and redacts it; text that does not parse as a URL is
// replaced whole, since it may still hold a secret.
func RedactString(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return Redacted
	}
	return Redact(u)
}

// isPublicSegment reports whether a final path segment is a well-known,
// non-secret word such as "announce", "announce.php" or "scrape".
func isPublicSegment(s string) bool {
	s = strings.ToLower(s)
	return strings.HasPrefix(s, "announce") || strings.HasPrefix(s, "scrape")
}
