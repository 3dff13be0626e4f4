package webrtc

import (
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// pionLoggerFactory sends pion's logs to the Transport's logger at debug
// level: pion reports as errors what is routine here (a peer that went away,
// a connection closed while it was connecting), and nothing of it should
// reach a user's warnings. Pion's own default would print to stderr.
type pionLoggerFactory struct{ log *slog.Logger }

func (f pionLoggerFactory) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{f.log.With("pion", scope)}
}

type pionLogger struct{ log *slog.Logger }

func (l pionLogger) Trace(string)          {}
func (l pionLogger) Tracef(string, ...any) {}
func (l pionLogger) Debug(string)          {}
func (l pionLogger) Debugf(string, ...any) {}
func (l pionLogger) Info(m string)         { l.log.Debug(m) }
func (l pionLogger) Infof(f string, a ...any) {
	l.log.Debug(fmt.Sprintf(f, a...))
}
func (l pionLogger) Warn(m string) { l.log.Debug(m) }
func (l pionLogger) Warnf(f string, a ...any) {
	l.log.Debug(fmt.Sprintf(f, a...))
}
func (l pionLogger) Error(m string) { l.log.Debug(m) }
func (l pionLogger) Errorf(f string, a ...any) {
	l.log.Debug(fmt.Sprintf(f, a...))
}
