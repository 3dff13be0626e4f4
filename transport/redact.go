package transport

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"

	"github.com/trackerkit/trackerkit/internal/redactkey"
)

// Redacted stands in for secret URL parts. In output it is followed by a
// tag: "REDACTED~3fa1c2" (see Redact).
const Redacted = "REDACTED"

// tagLen is how many hex digits of the keyed hash a tag shows: 24 bits,
// enough that two passkeys on one tracker collide once in 16 million.
const tagLen = 6

// redactedPart returns what stands in for one secret part: Redacted, "~",
// and a short tag derived from the part under the per-process random key
// (internal/redactkey), so tags cannot be computed, compared across runs or
// reversed by anyone who reads a log: they only tell apart, within one
// process, secrets that differ.
func redactedPart(secret string) string {
	m := hmac.New(sha256.New, redactkey.Key())
	m.Write([]byte(secret))
	var sum [sha256.Size]byte
	return Redacted + "~" + hex.EncodeToString(m.Sum(sum[:0]))[:tagLen]
}

// Redact returns u as text fit for logs, errors, events and display.
// Private trackers put passkeys in the path ("/3f2a.../announce"), the
// query ("?passkey=...", or a bare "?3f2a...") or the user information, so
// each of those becomes REDACTED~tag:
//
//   - every path segment but a final "announce"/"scrape" word;
//   - every query value, every bare query token, and every query key that
//     does not look like a parameter name (letters, '_', '-', '.', at most
//     24 of them); names are kept, they help debugging;
//   - user information (shown as REDACTED~tag@host);
//   - an opaque part; the fragment is dropped.
//
// Scheme, host and port are kept. The tag is a keyed hash of the secret
// under a per-process random key: the same secret always shows the same
// tag in this process (an announce URL and its scrape URL agree), two
// different secrets show different tags, so two trackers on one host that
// differ only by passkey keep distinct display forms, and nothing about the
// secret can be learnt from it.
//
//	https://t.example/abc123/announce?passkey=xyz
//	-> https://t.example/REDACTED~3fa1c2/announce?passkey=REDACTED~09be7d
func Redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	var b strings.Builder
	if u.Scheme != "" {
		b.WriteString(u.Scheme)
		b.WriteByte(':')
	}
	if u.Opaque != "" {
		b.WriteString(redactedPart(u.Opaque))
		return b.String()
	}
	if u.Host != "" || u.User != nil || u.Scheme != "" {
		b.WriteString("//")
	}
	if u.User != nil {
		b.WriteString(redactedPart(u.User.String()))
		b.WriteByte('@')
	}
	b.WriteString(redactHost(u.Host))
	if p := u.EscapedPath(); p != "" && p != "/" {
		segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
		for i, s := range segs {
			if s == "" || (i == len(segs)-1 && isPublicSegment(s)) {
				continue
			}
			segs[i] = redactedPart(s)
		}
		if !strings.HasPrefix(p, "/") && u.Host == "" {
			b.WriteString(strings.Join(segs, "/"))
		} else {
			b.WriteString("/" + strings.Join(segs, "/"))
		}
	} else {
		b.WriteString(p)
	}
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteByte('?')
		for i, kv := range strings.Split(u.RawQuery, "&") {
			if i > 0 {
				b.WriteByte('&')
			}
			k, v, hasValue := strings.Cut(kv, "=")
			switch {
			case !hasValue && k == "": // "?" alone, or "&&"
				continue
			case !hasValue:
				b.WriteString(redactedPart(k)) // a bare token: "?3f2a9c0d"
				continue
			case isParamName(k):
				b.WriteString(k)
			default:
				b.WriteString(redactedPart(k))
			}
			if hasValue {
				b.WriteString("=" + redactedPart(v))
			}
		}
	}
	return b.String()
}

// redactHost keeps a host that is a name or an address, with its port;
// anything else (a parse that let odd bytes through) is redacted.
func redactHost(h string) string {
	if h == "" || isHostText(h) {
		return h
	}
	return redactedPart(h)
}

// isHostText reports whether h is "name", "name:port", "[v6]" or "[v6]:port"
// made of host characters only.
func isHostText(h string) bool {
	name, port := h, ""
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		for _, c := range []byte(h[1:end]) {
			if !isHex(c) && c != ':' && c != '.' && c != '%' && !isAlnum(c) {
				return false
			}
		}
		name, port = "", h[end+1:]
		if port != "" {
			if port[0] != ':' {
				return false
			}
			port = port[1:]
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 {
		name, port = h[:i], h[i+1:]
	}
	for _, c := range []byte(name) {
		if !isAlnum(c) && c != '.' && c != '-' && c != '_' {
			return false
		}
	}
	for _, c := range []byte(port) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(port) <= 5
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// isParamName reports whether a query key reads as a parameter name
// ("passkey", "torrent_pass", "info_hash") rather than a token.
func isParamName(k string) bool {
	if k == "" || len(k) > 24 {
		return false
	}
	for _, c := range []byte(k) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// RedactString parses s and redacts it. Text that does not parse as a URL
// (a bad %-escape, a broken host) may still hold a secret: only a plain
// "scheme://host[:port]" prefix is kept, and the rest becomes one
// REDACTED~tag, distinct for distinct text.
func RedactString(s string) string {
	u, err := url.Parse(s)
	if err == nil {
		return Redact(u)
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || !isScheme(scheme) {
		return redactedPart(s)
	}
	host := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host = rest[:i]
	}
	if host == "" || !isHostText(host) {
		return redactedPart(s)
	}
	return scheme + "://" + host + "/" + redactedPart(s)
}

func isScheme(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for i, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// isPublicSegment reports whether a final path segment is a well-known,
// non-secret word such as "announce", "announce.php" or "scrape".
func isPublicSegment(s string) bool {
	s = strings.ToLower(s)
	return strings.HasPrefix(s, "announce") || strings.HasPrefix(s, "scrape")
}
