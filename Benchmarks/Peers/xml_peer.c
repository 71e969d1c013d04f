/* The bare C loop over the libxml2 calls Canon makes to validate one XML record: a parser context,
 * xmlCtxtReadMemory with XML_PARSE_NONET, a validation context, xmlSchemaValidateDoc, and the frees.
 * Usage: xml_peer SCHEMA.xsd DOCUMENT.xml COUNT  -> prints "ns per record" */
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void quiet(void *data, xmlErrorPtr error) { (void)data; (void)error; }

static char *slurp(const char *path, int *size) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buffer = malloc(n);
    if (fread(buffer, 1, n, f) != (size_t)n) { perror(path); exit(2); }
    fclose(f);
    *size = (int)n;
    return buffer;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: xml_peer SCHEMA DOCUMENT COUNT\n"); return 2; }
    xmlInitParser();
    xmlSetStructuredErrorFunc(NULL, quiet);
    xmlSchemaParserCtxtPtr pctxt = xmlSchemaNewParserCtxt(argv[1]);
    xmlSchemaPtr schema = xmlSchemaParse(pctxt);
    xmlSchemaFreeParserCtxt(pctxt);
    if (!schema) { fprintf(stderr, "schema does not compile\n"); return 2; }
    int size;
    char *document = slurp(argv[2], &size);
    long count = atol(argv[3]);
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < count; i++) {
        xmlParserCtxtPtr parser = xmlNewParserCtxt();
        xmlDocPtr doc = xmlCtxtReadMemory(parser, document, size, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOCDATA);
        xmlSchemaValidCtxtPtr valid = xmlSchemaNewValidCtxt(schema);
        int result = xmlSchemaValidateDoc(valid, doc);
        xmlSchemaFreeValidCtxt(valid);
        xmlFreeDoc(doc);
        xmlFreeParserCtxt(parser);
        if (result != 0) { fprintf(stderr, "invalid document\n"); return 1; }
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double ns = (end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec);
    printf("%.0f\n", ns / count);
    return 0;
}
