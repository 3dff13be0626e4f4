package transport

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://tracker.test:6969/announce", "http://tracker.test:6969/announce"},
		{"udp://tracker.test:1337", "udp://tracker.test:1337"},
		{"udp://[::1]:1337/announce", "udp://[::1]:1337/announce"},
		{"wss://tracker.test", "wss://tracker.test"},
		{"https://t.test/3f2a9c0d/announce", "https://t.test/REDACTED/announce"},
		{"https://t.test/announce.php?passkey=s3cret&x", "https://t.test/announce.php?passkey=REDACTED&x"},
		{"https://t.test/tracker/s3cret", "https://t.test/REDACTED/REDACTED"},
		{"https://user:pw@t.test/a%20b/announce", "https://t.test/REDACTED/announce"},
		{"http://t.test/announce?a=1&b=2", "http://t.test/announce?a=REDACTED&b=REDACTED"},
		{"http://t.test/scrape", "http://t.test/scrape"},
	}
	for _, tt := range tests {
		if got := RedactString(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
		for _, secret := range []string{"s3cret", "3f2a9c0d", "pw", "user"} {
			if strings.Contains(RedactString(tt.in), secret) {
				t.Errorf("Redact(%q) leaks %q", tt.in, secret)
			}
		}
	}
	if RedactString("http://[bad") != Redacted {
		t.Error("unparsable URL not redacted whole")
	}
	if Redact(nil) != "" {
		t.Error("nil URL")
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
