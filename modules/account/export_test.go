package account

// LoginsAdmitted is how many login attempts hold a LoginsInFlight place now (tests wait on it).
func (s *Login) LoginsAdmitted() int { return s.places().Inside() }
