package submitter

// CreatedIDs is how many broadcast ids the Sender keeps in memory.
func (s *Sender) CreatedIDs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.created)
}
