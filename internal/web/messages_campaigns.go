package web

// campaignCatalog holds the texts of the campaign pages.
var campaignCatalog = map[string]map[string]string{
	"ko": {},
	"en": {},
}
