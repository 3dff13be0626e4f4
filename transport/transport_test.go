package transport

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// tagRE matches the tag of a redacted part.
var tagRE = regexp.MustCompile(`REDACTED~[0-9a-f]{6}`)

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{ // want: with each tag shown as REDACTED~x
		{"http://tracker.test:6969/announce", "http://tracker.test:6969/announce"},
		{"udp://tracker.test:1337", "udp://tracker.test:1337"},
		{"udp://[::1]:1337/announce", "udp://[::1]:1337/announce"},
		{"wss://tracker.test", "wss://tracker.test"},
		{"https://t.test/3f2a9c0d/announce", "https://t.test/REDACTED~x/announce"},
		{"https://t.test/announce.php?passkey=s3cret&x", "https://t.test/announce.php?passkey=REDACTED~x&REDACTED~x"},
		{"https://t.test/tracker/s3cret", "https://t.test/REDACTED~x/REDACTED~x"},
		{"https://user:pw@t.test/a%20b/announce", "https://REDACTED~x@t.test/REDACTED~x/announce"},
		{"http://t.test/announce?a=1&b=2", "http://t.test/announce?a=REDACTED~x&b=REDACTED~x"},
		{"http://t.test/scrape", "http://t.test/scrape"},
		{"http://t.test/announce?s3cretTOKEN0123456789", "http://t.test/announce?REDACTED~x"},
		{"http://t.test/announce?3f2a9c0d=1", "http://t.test/announce?REDACTED~x=REDACTED~x"},
		{"http://t.test/announce?passkey=", "http://t.test/announce?passkey=REDACTED~x"},
		{"http://t.test/announce?", "http://t.test/announce?"},
		{"http://t.test/announce#s3cret", "http://t.test/announce"},
		{"udp:s3cret", "udp:REDACTED~x"},
		{"s3cret", "REDACTED~x"},
		// Unparsable: only a plain scheme://host[:port] survives.
		{"http://t.test:6969/pk%zz/announce", "http://t.test:6969/REDACTED~x"},
		{"http://[bad", "REDACTED~x"},
		{"http://user:pw/x@t.test/announce", "REDACTED~x"},
		{"http://t.test:s3cret/announce", "REDACTED~x"},
		{"%zzs3cret", "REDACTED~x"},
	}
	for _, tt := range tests {
		got := RedactString(tt.in)
		if norm := tagRE.ReplaceAllString(got, "REDACTED~x"); norm != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
		for _, secret := range []string{"s3cret", "3f2a9c0d", "pw", "user", "zz"} {
			if strings.Contains(got, secret) {
				t.Errorf("Redact(%q) leaks %q", tt.in, secret)
			}
		}
		if again := RedactString(tt.in); again != got {
			t.Errorf("Redact(%q) not stable: %q then %q", tt.in, got, again)
		}
	}
	if Redact(nil) != "" {
		t.Error("nil URL")
	}
}

// TestRedactDistinct: URLs that differ only in a secret keep distinct
// display forms (issue 12: two passkeys on one host shared one row and one
// identity), and the same secret keeps its tag across announce and scrape.
func TestRedactDistinct(t *testing.T) {
	groups := [][]string{
		{"https://t.test/aaaa1111/announce", "https://t.test/bbbb2222/announce", "https://t.test/announce"},
		{"https://t.test/announce?passkey=1", "https://t.test/announce?passkey=2", "https://t.test/announce?passkey"},
		{"https://t.test/announce?TOKENONE", "https://t.test/announce?TOKENTWO"},
		{"https://a:1@t.test/announce", "https://a:2@t.test/announce", "https://t.test/announce?"},
		{"http://t.test/%zz1", "http://t.test/%zz2", "%zz"},
	}
	for _, g := range groups {
		seen := make(map[string]string)
		for _, u := range g {
			r := RedactString(u)
			if prev, dup := seen[r]; dup {
				t.Errorf("%q and %q both redact to %q", prev, u, r)
			}
			seen[r] = u
		}
	}
	a := RedactString("https://t.test/aaaa1111/announce")
	s := RedactString("https://t.test/aaaa1111/scrape")
	if tagRE.FindString(a) != tagRE.FindString(s) {
		t.Errorf("announce %q and scrape %q of one passkey have different tags", a, s)
	}
}

func TestErrorsMatch(t *testing.T) {
	tests := []struct {
		name string
		err  error
		is   []error
		not  []error
	}{
		{"failure", &FailureError{Reason: "unregistered torrent"}, []error{ErrTrackerFailure}, []error{ErrPermanent, ErrMalformed}},
		{"failure never", &FailureError{Reason: "x", RetryNever: true}, []error{ErrTrackerFailure, ErrPermanent}, nil},
		{"410", &StatusError{Code: 410}, []error{ErrPermanent}, []error{ErrTemporary}},
		{"503", &StatusError{Code: 503}, []error{ErrTemporary}, []error{ErrPermanent}},
		{"404", &StatusError{Code: 404}, nil, []error{ErrTemporary, ErrPermanent}},
		{"malformed", &MalformedError{What: "interval missing"}, []error{ErrMalformed}, []error{ErrTooLarge}},
		{"too large", &TooLargeError{Limit: 10}, []error{ErrTooLarge}, []error{ErrMalformed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wrapped := fmt.Errorf("ctx: %w", &Error{Op: "announce", URL: "http://t.test/announce", Err: tt.err})
			for _, target := range tt.is {
				if !errors.Is(wrapped, target) {
					t.Errorf("not Is %v", target)
				}
			}
			for _, target := range tt.not {
				if errors.Is(wrapped, target) {
					t.Errorf("unexpectedly Is %v", target)
				}
			}
			var te *Error
			if !errors.As(wrapped, &te) || te.Op != "announce" {
				t.Error("not As *Error")
			}
			if !strings.Contains(wrapped.Error(), "http://t.test/announce") {
				t.Error(wrapped)
			}
		})
	}
	var fe *FailureError
	err := error(&Error{Op: "announce", Err: &FailureError{Reason: "go away", RetryIn: 5 * time.Minute}})
	if !errors.As(err, &fe) || fe.Reason != "go away" || !strings.Contains(err.Error(), "go away") {
		t.Fatal(err)
	}
	if IsPermanent(err) {
		t.Fatal("retry-in failure is not permanent")
	}
	inner := errors.New("bad length")
	if !errors.Is(&MalformedError{What: "peers", Err: inner}, inner) {
		t.Fatal("MalformedError does not unwrap")
	}
}

func TestEventAndInfoHash(t *testing.T) {
	for e, want := range map[Event]string{EventNone: "", EventCompleted: "completed", EventStarted: "started", EventStopped: "stopped"} {
		if e.String() != want {
			t.Errorf("%d = %q", e, e.String())
		}
	}
	tests := []struct {
		in string
		ok bool
	}{
		{"0123456789abcdef0123456789ABCDEF01234567", true},
		{"0123", false},
		{"zz23456789abcdef0123456789abcdef01234567", false},
	}
	for _, tt := range tests {
		h, err := ParseInfoHash(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("%q: %v", tt.in, err)
		}
		if tt.ok && !strings.EqualFold(h.String(), tt.in) {
			t.Errorf("%q round trip %q", tt.in, h)
		}
	}
}
