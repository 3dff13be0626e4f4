package announcer

import (
	"time"

	"github.com/cenkalti/backoff/v4"
)

// clampInterval returns the wait before the next scheduled announce: the
// tracker's interval within [IntervalFloor, IntervalCap].
func (c *Client) clampInterval(d time.Duration) time.Duration {
	return min(max(d, c.cfg.IntervalFloor), c.cfg.IntervalCap)
}

// minWait is the shortest time between two announces to t: the tracker's
// "min interval", raised to IntervalFloor, at most the scheduled interval.
func (c *Client) minWait(t *tracker) time.Duration {
	return min(max(t.MinInterval, c.cfg.IntervalFloor), c.clampInterval(t.Interval))
}

// newBackOff returns the retry schedule of a failing tracker: exponential
// from RetryMin, doubling, jittered by ±50%, capped at RetryMax, never
// giving up (giving up is for permanent errors only).
func (c *Client) newBackOff() *backoff.ExponentialBackOff {
	return backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(c.cfg.RetryMin),
		backoff.WithMultiplier(2),
		backoff.WithRandomizationFactor(0.5),
		backoff.WithMaxInterval(c.cfg.RetryMax),
		backoff.WithMaxElapsedTime(0),
	)
}

// retryDelay is how long t waits after a failure: the tracker's BEP 31
// "retry in" when it sent one (raised to IntervalFloor), else the next
// step of t's backoff. The backoff is made on the first failure and
// dropped on success, so a healthy tracker carries none.
func (c *Client) retryDelay(t *tracker, retryIn time.Duration) time.Duration {
	if t.bo == nil {
		t.bo = c.newBackOff()
	}
	d := t.bo.NextBackOff() // advance even when retry-in wins, so failures keep escalating
	if retryIn > 0 {
		return max(retryIn, c.cfg.IntervalFloor)
	}
	return min(d, c.cfg.RetryMax)
}
