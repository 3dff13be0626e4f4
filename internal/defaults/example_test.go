package defaults_test

import (
	"fmt"
	"time"

	"github.com/trackerkit/trackerkit/internal/defaults"
)

// A Config whose zero value is its documented defaults.
type Config struct {
	Timeout   time.Duration // Default 30 s; negative: no timeout
	Retries   int           // Default 3
	UserAgent string        // Default "example/1.0"
}

func (c *Config) populate() {
	defaults.OffBelowZero(&c.Timeout, 30*time.Second)
	defaults.Positive(&c.Retries, 3)
	defaults.Unset(&c.UserAgent, "example/1.0")
}

func Example() {
	for _, c := range []Config{{}, {Timeout: -1, Retries: -2, UserAgent: "mine"}} {
		c.populate()
		fmt.Println(c.Timeout, c.Retries, c.UserAgent)
	}
	// Output:
	// 30s 3 example/1.0
	// 0s 3 mine
}
