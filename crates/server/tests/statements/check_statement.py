#!/usr/bin/env python3
"""Checks a Purse statement file without any Purse code (Python 3.11 standard library only).

Usage: python3 check_statement.py FORMAT FILE   (FORMAT: csv | ofx | camt053)

Prints one JSON line:
  {"opening": "...", "closing": "...", "entries": N, "sum": "...", "currency": "...",
   "descriptions": [...]}
("currency" is left out for csv, which does not carry it). "sum" is signed: money in minus
money out. Exits 1 with a message on stderr when the file is malformed or when
opening + sum != closing.

- csv: the header row is checked; opening = first balance_after - first signed amount,
  closing = last balance_after, and each row's balance_after must equal the previous one plus
  its signed amount. With no rows, opening and closing are null.
- ofx: the XML declaration and the OFX 2.2 processing instruction are checked; every STMTTRN must
  have TRNTYPE, DTPOSTED, TRNAMT, FITID (unique) and NAME; OFX has no opening balance, so the
  opening printed is LEDGERBAL - sum(TRNAMT), for the caller to compare with the statement's.
- camt053: the camt.053.001.08 namespace, OPBD + sum(CRDT) - sum(DBIT) == CLBD, TxsSummry's
  counts and sums, every Ntry's currency and status, and the XSD element order of Stmt, Bal
  and Ntry.
"""

import argparse
import csv
import io
import json
import re
import sys
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation

CSV_HEADER = ["date", "activity_id", "kind", "description", "note", "direction", "amount", "balance_after"]
CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
NAMESPACES = {"c": CAMT_NS}
AMOUNT = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
OFX_DATE = re.compile(r"^[0-9]{14}\.[0-9]{3}\[[+-]?[0-9]+(\.[0-9]+)?:[A-Z]+\]$")
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
ISO_DATETIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$")
OFX_TRNTYPES = {"CREDIT", "DEBIT", "INT", "DIV", "FEE", "SRVCHG", "DEP", "ATM", "POS", "XFER",
                "CHECK", "PAYMENT", "CASH", "DIRECTDEP", "DIRECTDEBIT", "REPEATPMT", "HOLD", "OTHER"}

# camt.053.001.08's XSD sequences (AccountStatement9, CashBalance8, ReportEntry10).
STMT_ORDER = ["Id", "StmtPgntn", "ElctrncSeqNb", "RptgSeq", "LglSeqNb", "CreDtTm", "FrToDt",
              "CpyDplctInd", "RptgSrc", "Acct", "RltdAcct", "Intrst", "Bal", "TxsSummry", "Ntry",
              "AddtlStmtInf"]
BAL_ORDER = ["Tp", "CdtLine", "Amt", "CdtDbtInd", "Dt", "Avlbty"]
NTRY_ORDER = ["NtryRef", "Amt", "CdtDbtInd", "RvslInd", "Sts", "BookgDt", "ValDt", "AcctSvcrRef",
              "Avlbty", "BkTxCd", "ComssnWvrInd", "AddtlInfInd", "AmtDtls", "Chrgs", "TechInptChanl",
              "Intrst", "CardTx", "NtryDtls", "AddtlNtryInf"]


class Invalid(Exception):
    pass


def decimal(text, what):
    text = (text or "").strip()
    if not AMOUNT.match(text):
        raise Invalid(f"{what}: not a plain decimal: {text!r}")
    try:
        return Decimal(text)
    except InvalidOperation as error:
        raise Invalid(f"{what}: {text!r}: {error}") from error


def show(value):
    if value is None:
        return None
    if value == 0:
        value = value.copy_abs()
    return format(value, "f")


def check_csv(path):
    with open(path, newline="", encoding="utf-8") as file:
        raw = file.read()
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    if not rows or rows[0] != CSV_HEADER:
        raise Invalid(f"csv: header row is {rows[0] if rows else None!r}, not {CSV_HEADER!r}")
    if raw and not raw.endswith("\r\n"):
        raise Invalid("csv: rows must end in CRLF")
    opening = closing = None
    total = Decimal(0)
    descriptions = []
    notes = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(CSV_HEADER):
            raise Invalid(f"csv row {number}: {len(row)} cells, not {len(CSV_HEADER)}")
        cells = dict(zip(CSV_HEADER, row))
        amount = decimal(cells["amount"], f"csv row {number} amount")
        balance = decimal(cells["balance_after"], f"csv row {number} balance_after")
        if amount < 0:
            raise Invalid(f"csv row {number}: amount must be positive")
        if cells["direction"] not in ("in", "out"):
            raise Invalid(f"csv row {number}: direction {cells['direction']!r}")
        signed = amount if cells["direction"] == "in" else -amount
        if opening is None:
            opening = balance - signed
        elif closing + signed != balance:
            raise Invalid(f"csv row {number}: {closing} + {signed} != balance_after {balance}")
        closing = balance
        total += signed
        descriptions.append(cells["description"])
        notes.append(cells["note"])
    if opening is not None and opening + total != closing:
        raise Invalid(f"csv: opening {opening} + sum {total} != closing {closing}")
    return {"opening": show(opening), "closing": show(closing), "entries": len(rows) - 1,
            "sum": show(total), "descriptions": descriptions, "notes": notes}


def child(element, path, what):
    found = element.find(path, NAMESPACES)
    if found is None:
        raise Invalid(f"{what}: missing {path}")
    return found


def text(element, path, what):
    return child(element, path, what).text or ""


def check_ofx(path):
    with open(path, "rb") as file:
        raw = file.read()
    head = raw[:400].decode("utf-8", errors="replace")
    if not head.startswith('<?xml version="1.0"'):
        raise Invalid("ofx: no XML declaration first")
    pi = re.search(r"<\?OFX ([^?]*)\?>", head)
    if not pi or 'OFXHEADER="200"' not in pi.group(1) or 'VERSION="220"' not in pi.group(1):
        raise Invalid("ofx: no <?OFX OFXHEADER=\"200\" VERSION=\"220\" ...?> instruction")
    root = ET.fromstring(raw)
    if root.tag != "OFX":
        raise Invalid(f"ofx: root is {root.tag}")
    if text(root, "SIGNONMSGSRSV1/SONRS/STATUS/CODE", "ofx") != "0":
        raise Invalid("ofx: SONRS status is not 0")
    stmtrs = child(root, "BANKMSGSRSV1/STMTTRNRS/STMTRS", "ofx")
    currency = text(stmtrs, "CURDEF", "STMTRS")
    for field in ("BANKID", "ACCTID", "ACCTTYPE"):
        if not text(stmtrs, f"BANKACCTFROM/{field}", "STMTRS"):
            raise Invalid(f"ofx: empty BANKACCTFROM/{field}")
    tranlist = child(stmtrs, "BANKTRANLIST", "STMTRS")
    for field in ("DTSTART", "DTEND"):
        if not OFX_DATE.match(text(tranlist, field, "BANKTRANLIST")):
            raise Invalid(f"ofx: {field} is not an OFX date")
    total = Decimal(0)
    descriptions = []
    fitids = set()
    transactions = tranlist.findall("STMTTRN")
    for number, trn in enumerate(transactions, start=1):
        what = f"STMTTRN {number}"
        for field in ("TRNTYPE", "DTPOSTED", "TRNAMT", "FITID", "NAME"):
            if not text(trn, field, what).strip():
                raise Invalid(f"ofx: {what}: empty {field}")
        if text(trn, "TRNTYPE", what) not in OFX_TRNTYPES:
            raise Invalid(f"ofx: {what}: TRNTYPE {text(trn, 'TRNTYPE', what)!r}")
        if not OFX_DATE.match(text(trn, "DTPOSTED", what)):
            raise Invalid(f"ofx: {what}: DTPOSTED is not an OFX date")
        if len(text(trn, "NAME", what)) > 32:
            raise Invalid(f"ofx: {what}: NAME longer than 32")
        fitid = text(trn, "FITID", what)
        if fitid in fitids:
            raise Invalid(f"ofx: {what}: FITID {fitid!r} repeats")
        fitids.add(fitid)
        total += decimal(text(trn, "TRNAMT", what), f"ofx {what} TRNAMT")
        memo = trn.find("MEMO")
        descriptions.append(memo.text or "" if memo is not None else text(trn, "NAME", what))
    closing = decimal(text(stmtrs, "LEDGERBAL/BALAMT", "STMTRS"), "ofx LEDGERBAL")
    if not OFX_DATE.match(text(stmtrs, "LEDGERBAL/DTASOF", "STMTRS")):
        raise Invalid("ofx: LEDGERBAL/DTASOF is not an OFX date")
    # OFX states no opening balance: it is what the closing balance less the entries leaves,
    # which the caller compares with the statement's own opening balance.
    opening = closing - total
    return {"opening": show(opening), "closing": show(closing), "entries": len(transactions),
            "sum": show(total), "currency": currency, "descriptions": descriptions}


def local(tag):
    namespace, _, name = tag[1:].partition("}")
    if not tag.startswith("{") or namespace != CAMT_NS:
        raise Invalid(f"camt053: element {tag} is not in {CAMT_NS}")
    return name


def check_order(element, order, what):
    names = [local(item.tag) for item in element]
    positions = []
    for name in names:
        if name not in order:
            raise Invalid(f"camt053: {what}: unexpected element {name}")
        positions.append(order.index(name))
    if positions != sorted(positions):
        raise Invalid(f"camt053: {what}: children {names} are not in the XSD's order")


def signed_amount(element, currency, what):
    amount_element = child(element, "c:Amt", what)
    if amount_element.get("Ccy") != currency:
        raise Invalid(f"camt053: {what}: Amt Ccy {amount_element.get('Ccy')!r}, not {currency!r}")
    amount = decimal(amount_element.text, f"camt053 {what} Amt")
    if amount < 0:
        raise Invalid(f"camt053: {what}: Amt is negative")
    indicator = text(element, "c:CdtDbtInd", what)
    if indicator not in ("CRDT", "DBIT"):
        raise Invalid(f"camt053: {what}: CdtDbtInd {indicator!r}")
    return indicator, amount if indicator == "CRDT" else -amount


def check_camt053(path):
    ns = NAMESPACES
    root = ET.parse(path).getroot()
    if root.tag != f"{{{CAMT_NS}}}Document":
        raise Invalid(f"camt053: root is {root.tag}, not Document in {CAMT_NS}")
    for element in root.iter():
        local(element.tag)
    group = child(root, "c:BkToCstmrStmt/c:GrpHdr", "camt053")
    for field in ("MsgId", "CreDtTm"):
        if not text(group, f"c:{field}", "GrpHdr"):
            raise Invalid(f"camt053: empty GrpHdr/{field}")
    statements = root.findall("c:BkToCstmrStmt/c:Stmt", ns)
    if len(statements) != 1:
        raise Invalid(f"camt053: {len(statements)} Stmt, not 1")
    stmt = statements[0]
    check_order(stmt, STMT_ORDER, "Stmt")
    if len(text(stmt, "c:Id", "Stmt")) > 35:
        raise Invalid("camt053: Stmt/Id longer than 35")
    for field in ("c:CreDtTm", "c:FrToDt/c:FrDtTm", "c:FrToDt/c:ToDtTm"):
        if not ISO_DATETIME.match(text(stmt, field, "Stmt")):
            raise Invalid(f"camt053: Stmt/{field} is not an ISO date-time")
    currency = text(stmt, "c:Acct/c:Ccy", "Stmt")
    if not text(stmt, "c:Acct/c:Id/c:Othr/c:Id", "Stmt"):
        raise Invalid("camt053: empty Acct/Id/Othr/Id")
    balances = {}
    for number, balance in enumerate(stmt.findall("c:Bal", ns), start=1):
        what = f"Bal {number}"
        check_order(balance, BAL_ORDER, what)
        code = text(balance, "c:Tp/c:CdOrPrtry/c:Cd", what)
        if code in balances:
            raise Invalid(f"camt053: two {code} balances")
        if not ISO_DATE.match(text(balance, "c:Dt/c:Dt", what)):
            raise Invalid(f"camt053: {what}: Dt/Dt is not an ISO date")
        balances[code] = signed_amount(balance, currency, what)[1]
    for code in ("OPBD", "CLBD"):
        if code not in balances:
            raise Invalid(f"camt053: no {code} balance")
    opening, closing = balances["OPBD"], balances["CLBD"]
    total = Decimal(0)
    credits = [0, Decimal(0)]
    debits = [0, Decimal(0)]
    descriptions = []
    entries = stmt.findall("c:Ntry", ns)
    for number, entry in enumerate(entries, start=1):
        what = f"Ntry {number}"
        check_order(entry, NTRY_ORDER, what)
        indicator, signed = signed_amount(entry, currency, what)
        side = credits if indicator == "CRDT" else debits
        side[0] += 1
        side[1] += abs(signed)
        total += signed
        if text(entry, "c:Sts/c:Cd", what) != "BOOK":
            raise Invalid(f"camt053: {what}: status is not BOOK")
        if not ISO_DATETIME.match(text(entry, "c:BookgDt/c:DtTm", what)):
            raise Invalid(f"camt053: {what}: BookgDt/DtTm is not an ISO date-time")
        if not ISO_DATE.match(text(entry, "c:ValDt/c:Dt", what)):
            raise Invalid(f"camt053: {what}: ValDt/Dt is not an ISO date")
        if not text(entry, "c:BkTxCd/c:Prtry/c:Cd", what):
            raise Invalid(f"camt053: {what}: empty BkTxCd/Prtry/Cd")
        if len(text(entry, "c:AcctSvcrRef", what)) > 35:
            raise Invalid(f"camt053: {what}: AcctSvcrRef longer than 35")
        unstructured = entry.find("c:NtryDtls/c:TxDtls/c:RmtInf/c:Ustrd", ns)
        description = unstructured.text or "" if unstructured is not None else ""
        if len(description) > 140:
            raise Invalid(f"camt053: {what}: Ustrd longer than 140")
        descriptions.append(description)
    summary = stmt.find("c:TxsSummry", ns)
    if summary is None:
        raise Invalid("camt053: no TxsSummry")
    for name, (count, amount) in (("TtlCdtNtries", credits), ("TtlDbtNtries", debits)):
        stated_count = text(summary, f"c:{name}/c:NbOfNtries", "TxsSummry")
        stated_sum = decimal(text(summary, f"c:{name}/c:Sum", "TxsSummry"), f"camt053 {name}/Sum")
        if stated_count != str(count) or stated_sum != amount:
            raise Invalid(f"camt053: {name} says {stated_count} / {stated_sum}, entries give {count} / {amount}")
    if opening + total != closing:
        raise Invalid(f"camt053: OPBD {opening} + sum {total} != CLBD {closing}")
    return {"opening": show(opening), "closing": show(closing), "entries": len(entries),
            "sum": show(total), "currency": currency, "descriptions": descriptions}


def main():
    parser = argparse.ArgumentParser(description="Check a Purse statement file.")
    parser.add_argument("format", choices=["csv", "ofx", "camt053"])
    parser.add_argument("file")
    arguments = parser.parse_args()
    checks = {"csv": check_csv, "ofx": check_ofx, "camt053": check_camt053}
    try:
        result = checks[arguments.format](arguments.file)
    except (Invalid, ET.ParseError, OSError, UnicodeDecodeError, csv.Error) as error:
        print(f"check_statement: {error}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
