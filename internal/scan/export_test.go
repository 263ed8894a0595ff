package scan

// SlotsForTest counts the addresses the scanner keeps politeness state for.
func (s *Scanner) SlotsForTest() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.slots)
}
