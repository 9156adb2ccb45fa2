// Provenance as XMP, for the formats that carry an XMP packet (WebP, JPEG, AVIF, TIFF): the same
// JSON as a PNG result's iTXt chunk, as the text of one `vs:provenance` element, beside the
// standard CreatorTool so that exiftool and image managers name the product. sharp writes the
// packet into each container (withXmp); readers find it with sharp's metadata().xmp.
import { PROVENANCE_XMP_NS, provenanceFromXmp, type ResultProvenance } from "./provenance-read";

const escapeXml = (text: string) =>
  text.replace(/[<>&'"]/g, (c) =>
    c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === "&" ? "&amp;" : c === "'" ? "&apos;" : "&quot;",
  );

/** A complete XMP packet holding the provenance. */
export function provenanceXmp(provenance: ResultProvenance): string {
  const tool = `${provenance.product.name} ${provenance.product.version}`;
  return [
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    `<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:vs="${PROVENANCE_XMP_NS}">`,
    `<xmp:CreatorTool>${escapeXml(tool)}</xmp:CreatorTool>`,
    `<vs:provenance>${escapeXml(JSON.stringify(provenance))}</vs:provenance>`,
    "</rdf:Description>",
    "</rdf:RDF>",
    "</x:xmpmeta>",
    '<?xpacket end="w"?>',
  ].join("");
}

/** The provenance in an XMP packet as sharp's metadata() returns it (bytes), or null. */
export function readXmpProvenance(xmp: Uint8Array | undefined): ResultProvenance | null {
  if (!xmp || xmp.length === 0) return null;
  return provenanceFromXmp(new TextDecoder().decode(xmp));
}
