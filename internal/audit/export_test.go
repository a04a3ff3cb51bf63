package audit

// NewServiceWithQueue is NewService with a queue of the given size, so that
// tests can fill it.
var NewServiceWithQueue = newService
