package webrtc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	ptransport "github.com/pion/transport/v4"
	"github.com/pion/transport/v4/stdnet"
	pion "github.com/pion/webrtc/v4"
)

// An engine makes the PeerConnections of one Transport, and shares between
// them everything that need not be made again for each one. A pending offer
// then costs what its ICE agent, DTLS and SCTP state cost, and no more:
//
//   - one webrtc.API, built once, with an empty media engine and no RTP
//     interceptors: data channels carry no media, and the default
//     interceptors' loops (a NACK ticker every 100 ms per connection among
//     them) burned most of the CPU of idle pending offers;
//   - one DTLS certificate (ECDSA P-256), renewed before it expires,
//     instead of one generated for each PeerConnection;
//   - one list of network interfaces (pion's Net), read again at most once
//     a minute, instead of every ICE agent listing them.
type engine struct {
	api *pion.API
	cfg pion.Configuration // ICE servers; Certificates set by newPeerConnection

	mu   sync.Mutex
	cert *pion.Certificate
}

// certRenewal is how long before its expiry the shared certificate is
// replaced (pion makes certificates valid for a month). Connections keep
// the certificate they were made with.
const certRenewal = 24 * time.Hour

func newEngine(cfg Config) *engine {
	var se pion.SettingEngine
	se.DetachDataChannels()
	// Writes block while earlier data waits to be sent, instead of queueing
	// without bound: backpressure for a peer that reads slowly.
	se.EnableDataChannelBlockWrite(true)
	se.SetIncludeLoopbackCandidate(true)
	se.SetSCTPMaxMessageSize(maxDataChannelMessage)
	if cfg.LoopbackOnly {
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
		se.SetRemoteIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
		se.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4, pion.NetworkTypeUDP6})
	}
	if n, err := newSharedNet(); err == nil {
		se.SetNet(n)
	} // else pion makes its own Net for each agent, and fails the same way
	se.LoggerFactory = pionLoggerFactory{cfg.Logger}
	api := pion.NewAPI(
		pion.WithSettingEngine(se),
		pion.WithMediaEngine(&pion.MediaEngine{}),
		pion.WithInterceptorRegistry(&interceptor.Registry{}),
	)
	return &engine{api: api, cfg: pion.Configuration{ICEServers: cfg.ICEServers}}
}

// newPeerConnection makes a PeerConnection with the shared certificate.
func (e *engine) newPeerConnection() (*pion.PeerConnection, error) {
	cert, err := e.certificate()
	if err != nil {
		return nil, err
	}
	c := e.cfg
	c.Certificates = []pion.Certificate{*cert}
	return e.api.NewPeerConnection(c)
}

// certificate returns the shared DTLS certificate, made on first use and
// again when it is about to expire.
func (e *engine) certificate() (*pion.Certificate, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cert != nil && time.Until(e.cert.Expires()) > certRenewal {
		return e.cert, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("webrtc: DTLS key: %w", err)
	}
	cert, err := pion.GenerateCertificate(key)
	if err != nil {
		return nil, fmt.Errorf("webrtc: DTLS certificate: %w", err)
	}
	e.cert = cert
	return cert, nil
}

// interfacesTTL is how long the shared interface list is used before it is
// read again, so that a long-lived Transport sees a network change.
const interfacesTTL = time.Minute

// sharedNet is pion's standard Net with one interface list for every ICE
// agent of the Transport.
type sharedNet struct {
	ptransport.Net

	mu     sync.Mutex
	ifaces []*ptransport.Interface
	at     time.Time // when ifaces was read
}

func newSharedNet() (*sharedNet, error) {
	n, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	ifaces, _ := n.Interfaces()
	return &sharedNet{Net: n, ifaces: ifaces, at: time.Now()}, nil
}

// Interfaces returns the shared list, reading it again once it is older than
// interfacesTTL. Agents only read the list, so it is shared as is.
func (n *sharedNet) Interfaces() ([]*ptransport.Interface, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if time.Since(n.at) > interfacesTTL {
		if fresh, err := stdnet.NewNet(); err == nil {
			n.ifaces, _ = fresh.Interfaces()
		}
		n.at = time.Now()
	}
	return n.ifaces, nil
}

// InterfaceByIndex looks index up in the shared list.
func (n *sharedNet) InterfaceByIndex(index int) (*ptransport.Interface, error) {
	ifaces, _ := n.Interfaces()
	for _, ifc := range ifaces {
		if ifc.Index == index {
			return ifc, nil
		}
	}
	return nil, fmt.Errorf("%w: index=%d", ptransport.ErrInterfaceNotFound, index)
}

// InterfaceByName looks name up in the shared list.
func (n *sharedNet) InterfaceByName(name string) (*ptransport.Interface, error) {
	ifaces, _ := n.Interfaces()
	for _, ifc := range ifaces {
		if ifc.Name == name {
			return ifc, nil
		}
	}
	return nil, fmt.Errorf("%w: %s", ptransport.ErrInterfaceNotFound, name)
}
