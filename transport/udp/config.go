package udp

import (
	"context"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/trackerkit/trackerkit/internal/defaults"
	"github.com/trackerkit/trackerkit/transport"
)

// Resolver looks up the addresses of a tracker's hostname. *net.Resolver
// implements it; tests inject their own.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Config configures a Transport. Every zero value is a documented default, so
// Config{} is a good configuration.
type Config struct {
	// ConnectionIDTTL is how long a connection ID is used after it was
	// received (BEP 15: one minute). Default 60 s.
	ConnectionIDTTL time.Duration

	// RetransmitBase is the first wait for a reply; the n-th wait is
	// RetransmitBase * 2^n (BEP 15: 15 s * 2^n). Default 15 s.
	RetransmitBase time.Duration

	// MaxRetransmits is the largest n of the waits above: a request is
	// sent MaxRetransmits+1 times, and after the last wait
	// (RetransmitBase * 2^MaxRetransmits, 3840 s by default) with no reply
	// it fails with transport.ErrTimeout. The caller's context may end it
	// sooner. Default 8; a negative value means 0 (send once, wait once).
	MaxRetransmits int

	// Strict, when true, accepts a reply only from the address the request
	// was sent to. By default the transaction ID alone decides, because some
	// trackers answer from another address (seen on IPv6). Default false.
	Strict bool

	// DNS is the DNS cache shared with the Client's other transports (the
	// announcer passes its own). Default nil: the Transport builds its own
	// from Resolver, DNSCacheTTL, DNSNegativeTTL and DNSTimeout, and closes
	// it in Close. When DNS is set those four fields are not used.
	DNS *transport.Resolver

	// DNSCacheTTL is how long a successful hostname lookup is reused.
	// Default 5 minutes (DefaultDNSCacheTTL).
	DNSCacheTTL time.Duration

	// DNSNegativeTTL is how long a failed hostname lookup is remembered, so
	// a dead name does not cost one lookup per torrent. Default 30 s
	// (DefaultDNSNegativeTTL).
	DNSNegativeTTL time.Duration

	// DNSTimeout bounds one hostname lookup. Default 10 s
	// (DefaultDNSTimeout).
	DNSTimeout time.Duration

	// MaxInFlight caps the in-flight window of each tracker address: the
	// requests sent to it and not yet answered. The window adapts below
	// the cap to what the tracker answers (it halves when datagrams go
	// unanswered and grows while replies come back; see the package
	// documentation), and requests beyond it wait, in order, to be sent as
	// replies make room. Event announces (completed, stopped) never wait.
	// Default 1024 (DefaultMaxInFlight).
	MaxInFlight int

	// ReadBufferSize is the size of the buffer each socket reads datagrams
	// into; longer datagrams are truncated by the kernel. Default 64 KiB,
	// the largest UDP datagram.
	ReadBufferSize int

	// ListenPacket opens the socket of one address family: it is called
	// with network "udp4" and address "0.0.0.0:0", or "udp6" and "[::]:0",
	// at most once per family while the Transport is open, the first time a
	// tracker of that family is used. Tests pass (*memnet.Network).ListenPacket.
	// Default net.ListenPacket.
	ListenPacket func(network, address string) (net.PacketConn, error)

	// Proxy, when set, carries every datagram: a "socks5://[user:pass@]host:port"
	// proxy through SOCKS5 UDP ASSOCIATE (one association per address
	// family, renewed when the proxy drops it). With an "http://" proxy,
	// which cannot carry UDP, every request fails at once with an error
	// matching ErrHTTPProxy and transport.ErrSkipped: nothing is sent
	// around the proxy. Hostnames are resolved locally (the shared DNS
	// cache). A socks5 proxy replaces ListenPacket. Default nil: no proxy.
	Proxy *url.URL

	// LocalAddr, when valid, is the source address of the sockets: the
	// socket of its family is bound to it, the other family is skipped.
	// Default: any address.
	LocalAddr netip.Addr

	// FamilyFallback is how long a request waits for a reply from the
	// tracker's first address before also trying the next (of the other
	// family first). Default 5 s (DefaultFamilyFallback).
	FamilyFallback time.Duration

	// Resolver resolves tracker hostnames. Default net.DefaultResolver.
	Resolver Resolver

	// IsStaleConnectionID reports whether the text of an error reply means
	// that the connection ID was no longer accepted; such a reply costs one
	// reconnect and retry instead of a failure. Default: the text, in any
	// case, mentions "connection id" or "connection_id", or says the
	// connection is "invalid" or "expired" (opentracker, torrust, chihaya
	// and aquatic wordings).
	IsStaleConnectionID func(message string) bool

	// Logger receives debug logs (stray datagrams, reconnects). URLs in logs
	// are redacted. Default: nil, logs are discarded.
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultMaxInFlight     = 1024
	DefaultConnectionIDTTL = 60 * time.Second
	DefaultRetransmitBase  = 15 * time.Second
	DefaultMaxRetransmits  = 8
	DefaultDNSCacheTTL     = transport.DefaultDNSTTL
	DefaultDNSNegativeTTL  = transport.DefaultDNSNegativeTTL
	DefaultDNSTimeout      = transport.DefaultDNSTimeout
	DefaultReadBufferSize  = 64 << 10
)

// populated returns cfg with its defaults filled in.
func (cfg Config) populated() Config {
	defaults.Positive(&cfg.ConnectionIDTTL, DefaultConnectionIDTTL)
	defaults.Positive(&cfg.RetransmitBase, DefaultRetransmitBase)
	defaults.OffBelowZero(&cfg.MaxRetransmits, DefaultMaxRetransmits)
	cfg.MaxRetransmits = min(cfg.MaxRetransmits, 30) // 15 s * 2^30 is 500 years already (waits saturate)
	defaults.Positive(&cfg.DNSCacheTTL, DefaultDNSCacheTTL)
	defaults.Positive(&cfg.DNSNegativeTTL, DefaultDNSNegativeTTL)
	defaults.Positive(&cfg.DNSTimeout, DefaultDNSTimeout)
	defaults.Positive(&cfg.FamilyFallback, DefaultFamilyFallback)
	defaults.Positive(&cfg.MaxInFlight, DefaultMaxInFlight)
	defaults.Positive(&cfg.ReadBufferSize, DefaultReadBufferSize)
	if cfg.ListenPacket == nil {
		cfg.ListenPacket = net.ListenPacket
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.IsStaleConnectionID == nil {
		cfg.IsStaleConnectionID = isStaleConnectionID
	}
	defaults.Unset(&cfg.Logger, defaults.Discard)
	return cfg
}

// isStaleConnectionID is the default Config.IsStaleConnectionID.
func isStaleConnectionID(msg string) bool {
	m := strings.ToLower(msg)
	if strings.Contains(m, "connection id") || strings.Contains(m, "connection_id") || strings.Contains(m, "connectionid") {
		return true
	}
	return strings.Contains(m, "connection") && (strings.Contains(m, "invalid") || strings.Contains(m, "expired"))
}

// wait returns the n-th retransmission wait: base * 2^n, saturating
// instead of overflowing.
func (cfg *Config) wait(n int) time.Duration {
	if cfg.RetransmitBase > math.MaxInt64>>n {
		return math.MaxInt64
	}
	return cfg.RetransmitBase << n
}

func secondsToDuration(s int32) time.Duration { return time.Duration(s) * time.Second }
