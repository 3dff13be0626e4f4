package announcer

import "github.com/trackerkit/trackerkit/transport"

// ownedTransport is a default transport and the function that closes it.
type ownedTransport struct {
	t     transport.Transport
	close func() error
}

// defaultTransports builds the transports NewClient uses for the schemes
// Config.Transports does not name.
func defaultTransports(cfg *Config) map[string]ownedTransport {
	return map[string]ownedTransport{}
}
