import { XMLBuilder, XMLParser } from 'fast-xml-parser';

const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** An element in fast-xml-parser's order-preserving form: `{ name: [children] }`, attributes under ':@'. */
export type XmlNode = Record<string, unknown>;
export type XmlChild = XmlNode | undefined;

const builder = new XMLBuilder({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '@_' });
const parser = new XMLParser({ parseTagValue: false, trimValues: true });

/** An element with text, or with child elements (undefined children are left out). */
export function el(name: string, content: string | number | boolean | XmlChild[]): XmlNode {
  if (!Array.isArray(content)) return { [name]: [{ '#text': String(content) }] };
  return { [name]: content.filter((child): child is XmlNode => child !== undefined) };
}

/** An XML document with the declaration; the root gets the S3 namespace unless `namespaced` is false. */
export function xmlDocument(root: XmlNode, namespaced = true): string {
  const node = namespaced ? { ...root, ':@': { '@_xmlns': S3_NAMESPACE } } : root;
  return `<?xml version="1.0" encoding="UTF-8"?>${builder.build([node])}`;
}

/** An S3 response document: XML declaration, root element in the S3 namespace. */
export function s3Document(root: XmlNode): string {
  return xmlDocument(root);
}

/** A request body (DeleteObjects, CreateBucketConfiguration) parsed into plain objects. */
export function parseXmlBody(body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8').trim();
  return text === '' ? {} : (parser.parse(text) as Record<string, unknown>);
}
