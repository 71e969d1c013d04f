#include <libxml/xmlversion.h>
/* Debian's libxml2 is built with ICU, so its encoding.h includes the system's <unicode/ucnv.h>, whose
 * UErrorCode clashes with the one of Foundation's bundled ICU (_FoundationICU) in any Swift module that
 * sees both. Canon never uses libxml2's ICU converters: it only holds xmlCharEncodingHandler by pointer
 * (the ICU fields are the struct's last ones), so hiding them changes no layout Canon reads. */
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlschemas.h>
#include <libxml/c14n.h>
#include <libxml/xmlregexp.h>
