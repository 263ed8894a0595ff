package accounts

import "time"

// SetNowForTest replaces the clock.
func (s *Service) SetNowForTest(now func() time.Time) { s.now = now }
