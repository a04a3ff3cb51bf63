package web

// eventCatalog holds the texts of the events and tickets pages.
var eventCatalog = map[string]map[string]string{
	"ko": {},
	"en": {},
}
