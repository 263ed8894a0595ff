package ui

import (
	"testing"
	"time"
)

func TestTimeLeft(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		due  time.Time
		want string
	}{
		{now.Add(5 * 24 * time.Hour), "5 days left"},
		{now.Add(36 * time.Hour), "36 hours left"},
		{now.Add(90 * time.Minute), "90 minutes left"},
		{now.Add(-3 * 24 * time.Hour), "3 days overdue"},
		{now.Add(-time.Minute), "1 minute overdue"},
		{now.Add(20 * time.Second), "under a minute left"},
	} {
		if got := timeLeftAt(tt.due, now); got != tt.want {
			t.Errorf("timeLeftAt(%v) = %q, want %q", tt.due.Sub(now), got, tt.want)
		}
	}
	if timeLeft(nil) != "" {
		t.Error("no deadline should say nothing")
	}
}
