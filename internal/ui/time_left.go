package ui

import "time"

// timeLeft says how long until a deadline, or how long past it: "3 days
// left", "5 hours left", "2 days overdue". Nil says nothing.
func timeLeft(due *time.Time) string {
	if due == nil {
		return ""
	}
	return timeLeftAt(*due, time.Now())
}

func timeLeftAt(due, now time.Time) string {
	d := due.Sub(now)
	if d >= 0 {
		return ago(d) + " left"
	}
	return ago(-d) + " overdue"
}
