package submitter

// CreatedIDs is how many broadcast ids the Sender keeps in memory.
func (s *Sender) CreatedIDs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.c.(*fireblocksCustody); ok {
		return len(c.created)
	}
	return 0
}
