package app_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestCountsSurviveSIGKILL is the regression test for intake counters that
// lost acknowledged events on a crash (1,000 of 1,100 after a SIGKILL: the
// counters reached the database once a second). kubu is killed right after
// its last _bulk 200; after the restart events_accepted is every
// acknowledged event.
func TestCountsSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the kubu binary")
	}
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { countsAfterKill(t) })
	t.Run("postgres", func(t *testing.T) { countsAfterKill(t, "KUBU_DATABASE_URL="+storetest.FreshPostgres(t)) })
}

func countsAfterKill(t *testing.T, env ...string) {
	c, admin, token := newBinaryRig(t, env...)
	const requests, perRequest = 11, 100
	for i := range requests {
		var b strings.Builder
		for j := range perRequest {
			fmt.Fprintf(&b, "{\"index\":{\"_index\":\"crash\"}}\n{\"n\":%d}\n", i*perRequest+j)
		}
		resp, body, err := c.post(intakeRequest{"bulk", "/_bulk", "ApiKey " + token, "application/x-ndjson", b.String()})
		if err != nil || resp.StatusCode != 200 || strings.Contains(string(body), `"errors":true`) {
			t.Fatalf("bulk %d: %v %v %s", i, err, resp, body)
		}
	}
	c.kill() // at once after the last 200
	c.start()
	_, body := c.api("GET", "/api/v1/intake/stats", admin, "")
	if got := int(body["events_accepted"].(float64)); got != requests*perRequest {
		t.Fatalf("after SIGKILL right after the last 200, events_accepted = %d, want %d", got, requests*perRequest)
	}
}
