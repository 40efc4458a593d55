"""The reader: parsed Doc -> findings with provenance (reading only; no assembly, no scoring).

For each sentence it builds the abstracted unit sequence (:mod:`units`), runs the
compiled relation patterns (:mod:`patterns`), reads each match's roles, expands
regimens and lists (:mod:`combinations`), attaches a mechanism (:mod:`mechanism`)
and the context (:mod:`context`: negation, evidence, cancer, section, anaphora), and
returns :class:`miner.schema.Finding` objects whose offsets point into the document text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from spacy.language import Language
from spacy.tokens import Doc, Span

from miner.extract import constraints
from miner.extract import findings as build
from miner.extract.combinations import Agent, expand_agents
from miner.extract.celllines import DrugName
from miner.extract.context.cancer import cancer_in, is_cancer
from miner.extract.context.evidence import evidence_level
from miner.extract.context.memory import DocMemory, has_word, prior_agents
from miner.extract.context.modality import attenuated, first_outcome, has_cue, negated_before, states_both_directions
from miner.extract.context.sections import SectionIndex
from miner.extract.codenames import code_name_tokens
from miner.extract.cues import CueLexicon, load_cues
from miner.extract.grammar import NEGATED_EFFECT, Grammar, load_grammar
from miner.extract.mechanism import Mechanism, find_carrier, find_in_next, find_in_sentence, from_gene_unit, mechanism_list
from miner.extract.mentions import Mention, Resolver, default_resolver, mention_from_ent
from miner.extract.patterns import (
    PatternSet,
    RelationPattern,
    build_matcher,
    compile_rules,
    literal_cue_words,
    present_features,
)
from miner.extract.prefilter import Prefilter
from miner.extract.units import Unit, build_units, gene_alias, units_doc
from miner.schema import POLARITY, Finding


#: The packages whose code decides what the rules extract (context and the lexicon matchers included).
CODE_PACKAGES = ("miner.extract", "miner.extract.context", "miner.lexicon")


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of the extraction code, so that the reader version follows code changes by itself."""
    h = hashlib.sha1()
    for package in CODE_PACKAGES:
        for f in sorted(resources.files(package).iterdir(), key=lambda p: p.name):
            if f.name.endswith(".py"):
                h.update(f"{package}/{f.name}".encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:10]


def reader_version(grammar: Grammar) -> str:
    """Identifies what the reader extracts: the grammar's version and digest plus the code's digest."""
    return f"grammar-{grammar.version}-{grammar.digest}-code-{code_digest()}"


@dataclass
class _Sentence:
    span: Span
    units: list[Unit]
    mentions: list[Mention]
    evidence: set[str]
    start: int
    end: int

    @property
    def text(self) -> str:
        """The sentence's text from ``start`` to ``end`` (document offsets; surrounding whitespace left out)."""
        return self.span.text.strip()


@dataclass
class _Reading:
    """One match, read into roles (before expansion into findings)."""

    pattern: RelationPattern
    effect: str
    negated: bool
    trigger: int
    pairs: list[tuple[Agent, Agent | None]]
    #: the mechanisms the statement names for the relation (a list of genes gives several)
    mechanisms: list[Mechanism]
    anaphora: bool
    #: whether "vice versa" in the sentence makes the reverse a finding too (not for comparisons of two orders)
    mirror: bool = True


def _agent_spans(ents: list[Span], lexicon_spans: list[Span]) -> list[Span]:
    """Entities plus the lexicon's therapy concepts the linker kept out of ``doc.ents``.

    "chemotherapy", "immunotherapy", "ER-targeted therapies" are agents a statement can be about. Such a span
    is used when no entity claims its tokens, or when the only entities inside it are shorter GENE/DISEASE
    spans ("ER" of "ER-targeted therapies"), which it then replaces.
    """
    kept = list(ents)
    for s in lexicon_spans:
        inside = [e for e in kept if e.start < s.end and s.start < e.end]
        if any(e.label_ not in ("GENE", "DISEASE") or e.start < s.start or e.end > s.end or len(e) >= len(s)
               for e in inside):
            continue
        kept = [e for e in kept if e not in inside] + [s]
    return sorted(kept, key=lambda sp: sp.start)


def _gene_in_disease(m: Mention, resolver: Resolver) -> Mention:
    """A DISEASE span that names no disease but holds a curated gene ("loss of PTEN expression") is a gene."""
    if m.kind != "DISEASE" or is_cancer(m.text):
        return m
    for word in m.text.replace("-", " ").split():
        if gene := gene_alias(word, resolver):
            return Mention(m.text, m.start, m.end, "GENE", "GENE", [gene])
    return m


def _with_code_names(doc: Doc, base: int, mentions: list[Mention]) -> list[Mention]:
    """Add drugs written by their sponsor codes ("resistant to TAE684"), which no lexicon lists
    (:mod:`miner.extract.codenames`); a code the recognizers took for a gene ("AZ628") becomes the agent."""
    found: list[Mention] = []
    for sent in doc.sents:
        tokens = list(sent)
        for i, code in code_name_tokens([t.text for t in tokens]):
            start = base + tokens[i].idx
            end = start + len(code)
            if any(m.kind == "DRUG" and m.start < end and start < m.end for m in mentions):
                continue
            found.append(Mention(code, start, end, "DRUG", "DRUG", [], True))
    if not found:
        return mentions
    kept = [m for m in mentions if not any(f.start < m.end and m.start < f.end for f in found)]
    return sorted(kept + found, key=lambda m: m.start)


#: Penn tags of finite verbs: a line without one is a heading or caption title.
_FINITE = frozenset({"VBD", "VBZ", "VBP", "MD"})
#: A model-only finding's confidence is its classifier score times this (rules are the high-precision proposals).
MODEL_WEIGHT = 0.8


def _scoped(values: list[str], blocks: list[int], idx: int) -> str:
    """The value of sentence ``idx``, else of the nearest sentence of its block, else of the nearest one read
    (earlier first on a tie)."""
    if values[idx]:
        return values[idx]
    for same_block in (True, False):
        for dist in range(1, len(values)):
            for j in (idx - dist, idx + dist):
                if 0 <= j < len(values) and values[j] and (blocks[j] == blocks[idx]) == same_block:
                    return values[j]
    return ""


def _names_note(*agents: Agent | None) -> str:
    """What the words of an elliptical list stand for ("'first-' stands for first-generation TRK inhibitors")."""
    return "; ".join(f"'{m.text}' stands for {m.name}" for a in agents if a is not None for m in a.mentions
                     if m.name and m.name != m.text)


def _mechanism_key(m: Mechanism | None) -> str:
    """What makes two mechanisms of one drug distinct: their genes, else their text."""
    if m is None:
        return ""
    return ",".join(m.genes) or m.text.lower()


class Reader:
    """Reads findings from parsed Docs with one pipeline, one cue lexicon and one pattern set."""

    def __init__(
        self,
        nlp: Language,
        resolver: Resolver | None = None,
        cues: CueLexicon | None = None,
        oncology_only: bool = True,
        rules: list[str] | None = None,
        use_model: bool = True,
        relation: object | None = None,
    ) -> None:
        """``rules`` restricts reading to the named rules (to test a rule on its own examples); ``use_model=False``
        leaves out the relation component's proposals even when the pipeline has it; ``relation`` is a
        ``miner_relation`` component run on each parsed Doc by the reader itself (the pipeline stays as it is)."""
        self.nlp = nlp
        #: keep only findings whose agents are anticancer drugs, regimens or classes (lexicon flag)
        self.oncology_only = oncology_only
        self.grammar = load_grammar()
        self.use_model = use_model
        self.relation = relation
        self.cues = cues or load_cues()
        self.resolver = resolver or default_resolver()
        compiled = compile_rules(self.grammar)
        self.version = reader_version(self.grammar)
        chosen = [rp for rp in compiled if rules is None or rp.name in rules]
        self.patterns: PatternSet = build_matcher(chosen, nlp.vocab, self.version)
        self.cue_matcher = self.cues.phrase_matcher(nlp)
        self.evidence_matcher = self.cues.evidence_matcher(nlp)
        self.prefilter = Prefilter(nlp, self.cues, self.resolver, literal_cue_words(compiled))

    # -- sentence preparation -------------------------------------------------
    def _sentences(self, doc: Doc, base: int, abbreviations: dict | None = None) -> list[_Sentence]:
        lexicon_spans = list(doc.spans.get("drugs", [])) if "drugs" in doc.spans else []
        # therapy concepts the linker keeps out of doc.ents ("chemotherapy", "immunotherapy", "radiotherapy") are
        # still agents a statement can be about, when no entity claims their tokens
        spans = _agent_spans(list(doc.ents), lexicon_spans)
        mentions = [
            _gene_in_disease(m, self.resolver)
            for m in (mention_from_ent(e, self.resolver, base, lexicon_spans) for e in spans) if m is not None
        ]
        mentions = _with_code_names(doc, base, mentions)
        cue_matches = list(self.cue_matcher(doc))
        evidence: dict[int, set[str]] = {}
        for match_id, s, _e in self.evidence_matcher(doc):
            evidence.setdefault(s, set()).add(self.nlp.vocab.strings[match_id])
        # the drugs this text names: codes of drug-selected cell lines ("H2228/CR") are resolved against them
        named = [DrugName(m.text, m.label, m.ids) for m in mentions if m.kind == "DRUG"]
        out: list[_Sentence] = []
        for sent in doc.sents:
            raw = sent.text
            lead = len(raw) - len(raw.lstrip())
            s_start, s_end = base + sent.start_char + lead, base + sent.start_char + len(raw.rstrip())
            sent_mentions = [m for m in mentions if m.start >= s_start and m.end <= s_end]
            sent_cues = [(m, s, e) for m, s, e in cue_matches if s >= sent.start and e <= sent.end]
            units = build_units(sent, sent_mentions, sent_cues, self.cues, self.resolver, base, abbreviations, named)
            ev: set[str] = set()
            for i in range(sent.start, sent.end):
                ev |= evidence.get(i, set())
            out.append(_Sentence(sent, units, sent_mentions, ev, s_start, s_end))
        return out

    # -- matching ---------------------------------------------------------------
    def _readings(self, sent: _Sentence, nxt: _Sentence | None, memory: DocMemory,
                  before: list[_Sentence] | None = None) -> list[_Reading]:
        units = sent.units
        names_drug = any(u.unit == "DRUG" for u in units)
        if not names_drug and not memory.antecedent(units):
            return []
        udoc = units_doc(units, self.nlp.vocab, self.oncology_only)
        readings: list[_Reading] = []
        for rp, roles in self.patterns.matches(udoc, present_features(units)):
            # a rule whose drug comes from the preceding sentence reads exactly the sentences that name none
            if (rp.drug == "antecedent") == names_drug:
                continue
            reading = self._read_match(rp, roles, units, nxt, memory, before or [])
            if reading is not None:
                readings.append(reading)
        # the study population's prior stands in only where the sentence names no prior treatment of its own
        # ("Y after X", "X-pretreated") and is not about untreated patients ("first-line", "treatment-naive")
        if any(r.pattern.prior == "design" for r in readings) and (
                prior_agents(units) or has_word(units, self.grammar.word_list("design_veto"))):
            readings = [r for r in readings if r.pattern.prior != "design"]
        return readings

    def _read_match(
        self, rp: RelationPattern, roles: dict[str, int], units: list[Unit], nxt: _Sentence | None,
        memory: DocMemory, before: list[_Sentence],
    ) -> _Reading | None:
        """A match read in fixed steps: effect, vetoes, negation, arguments, constraints, mechanism."""
        trigger = roles.get("cue", roles["drug"])
        effect = self._effect(rp, units, trigger)
        if not effect or self._vetoed(units, roles, trigger):
            return None
        negated = negated_before(units, trigger)
        if negated:
            effect = NEGATED_EFFECT.get(effect) or ""
            if not effect:
                return None
        match = self._arguments(rp, roles, units, memory)
        if match is None or not constraints.check(match):
            return None
        pairs = match.pairs if match.pairs is not None else [(d, p) for d in match.drugs for p in match.priors or [None]]
        if "mech" in roles:
            mechanisms = [from_gene_unit(units, k, self.cues) for k in mechanism_list(units, roles["mech"])]
        else:
            antecedent = rp.mechanism == "antecedent"
            mech = self._mechanism(roles, units, trigger, effect, nxt, before if antecedent else [], antecedent)
            if mech is None and antecedent:
                return None  # such a rule reads a resistance only with the mechanism it was written for
            mechanisms = [mech] if mech is not None else []
        return _Reading(rp, effect, negated, trigger, pairs, mechanisms, match.anaphora, match.mirror)

    @staticmethod
    def _effect(rp: RelationPattern, units: list[Unit], trigger: int) -> str:
        """The effect a match reads: fixed, by its trigger's class, or by the sentence's first outcome cue."""
        if rp.effect:
            return rp.effect
        if rp.effect_by_cue:
            return rp.effect_by_cue.get(units[trigger].cue, "")
        found = first_outcome(units, rp.effect_by_sentence)
        return found[0] if found else ""

    @staticmethod
    def _vetoed(units: list[Unit], roles: dict[str, int], trigger: int) -> bool:
        """A weakened trigger ("diminished resistance"), or a mechanism ruled out ("no KIT mutation was found")."""
        return attenuated(units, trigger) or ("mech" in roles and negated_before(units, roles["mech"]))

    def _arguments(
        self, rp: RelationPattern, roles: dict[str, int], units: list[Unit], memory: DocMemory
    ) -> constraints.Match | None:
        """The drug and prior agents of a match (lists and regimens expanded, anaphors resolved)."""
        drug_i = roles["drug"]
        used = set(roles.values())
        anaphora = units[drug_i].unit == "ANA" or rp.drug == "antecedent"
        if rp.drug == "antecedent":
            drugs = memory.antecedent(units)
        elif anaphora:
            drugs = memory.resolve(units[drug_i])
        else:
            drugs = expand_agents(units, drug_i, used - {drug_i})
        drugs = self._agents(drugs)
        if not drugs:
            return None
        priors: list[Agent] = []
        if rp.prior == "design":
            drug_keys = {m.key for d in drugs for m in d.mentions}
            # "X after X" is a rechallenge, which the population sentence does not state
            priors = [p for p in self._agents(memory.population) if not {m.key for m in p.mentions} & drug_keys]
            if not priors:
                return None
            anaphora = True
        elif "prior" in roles:
            p = roles["prior"]
            if units[p].unit == "DRUG":
                priors = expand_agents(units, p, used - {p})
            else:
                priors = memory.resolve(units[p])
                anaphora = True
            priors = self._agents(priors)
            if not priors:
                return None
        return constraints.Match(rp, roles, units, drugs, priors, anaphora)

    def _mechanism(
        self, roles: dict[str, int], units: list[Unit], trigger: int, effect: str, nxt: _Sentence | None,
        before: list[_Sentence], antecedent: bool = False,
    ) -> Mechanism | None:
        """The pattern's own GENE:mech, else (for negative effects) a linked gene in this or the next sentence,
        else, for an ``antecedent`` rule, the carrier named earlier in this sentence or in a sentence of
        ``before``."""
        if "mech" in roles:
            return from_gene_unit(units, roles["mech"], self.cues)
        if POLARITY.get(effect) != "negative":
            # a link after "Y remained active ..." explains why Y works, not a resistance mechanism; but the
            # resistance a drug overcomes may be named inside the statement ("overcomes T790M-mediated resistance
            # to gefitinib"): a gene between the trigger and the prior drug is that resistance's mechanism
            if "prior" in roles:
                lo, hi = sorted((trigger, roles["prior"]))
                for k in range(lo + 1, hi):
                    if units[k].unit == "GENE":
                        return from_gene_unit(units, k, self.cues)
            return None
        mech = find_in_sentence(units, trigger, self.cues)
        if mech is None and nxt is not None:
            mech = find_in_next(nxt.units, nxt.span.text, self.cues)
        if mech is None and antecedent:
            mech = self._carrier(units[:trigger], before)
        return mech

    def _carrier(self, head: list[Unit], before: list[_Sentence]) -> Mechanism | None:
        """The alteration of the population an ``antecedent`` rule speaks about, nearest first: named in its own
        sentence before the trigger ("cells harboring NRAS Q61K were sensitive to A; resistance was observed
        against B", "an L858R mutation was found; the patient was treated with B, but progressed"), else in one
        of the two sentences before ("cells having PTEN loss. The xenograft was resistant to B")."""
        mech = find_carrier(head, self.cues)
        if mech is not None:
            mech.from_next_sentence = False  # stated in the finding's own sentence
            return mech
        for b in reversed(before):
            mech = find_carrier(b.units, self.cues)
            if mech is not None:
                return mech
        return None

    def _agents(self, agents: list[Agent]) -> list[Agent]:
        """The agents a finding may name (with ``oncology_only``, anticancer ones)."""
        return [a for a in agents if a.oncology or not self.oncology_only]

    # -- findings -----------------------------------------------------------------
    def read(
        self,
        doc: Doc,
        doc_id: str,
        base: int = 0,
        memory: DocMemory | None = None,
        sections: SectionIndex | None = None,
    ) -> list[Finding]:
        """All findings of one parsed Doc whose text starts at ``base`` in the document text."""
        memory = memory or DocMemory()
        section_base = 0
        if sections is None:  # offsets of a Doc read on its own are relative to its text
            sections, section_base = SectionIndex(doc.text), base
        sents = self._sentences(doc, base, memory.abbreviations)
        if not memory.cancer:
            for s in sents:
                memory.cancer = cancer_in(s.mentions, s.text, s.start)
                if memory.cancer:
                    break
        # context is scoped to the statement: its own sentence, then its block (a paragraph or a structured-abstract
        # section: a line of the text), then the text read here
        blocks = [doc.text.count("\n", 0, s.span.start_char) for s in sents]
        cancers = [cancer_in(s.mentions, s.text, s.start) for s in sents]
        levels = [evidence_level(s.evidence) if s.evidence else "" for s in sents]
        findings: list[Finding] = []
        for idx, sent in enumerate(sents):
            nxt = sents[idx + 1] if idx + 1 < len(sents) else None
            before = [sents[j] for j in (idx - 2, idx - 1) if j >= 0 and blocks[j] == blocks[idx]]
            readings = self._readings(sent, nxt, memory, before)
            if readings:
                evidence = _scoped(levels, blocks, idx) or "unknown"
                cancer = _scoped(cancers, blocks, idx) or memory.cancer
                new = self._findings(sent, readings, doc_id, evidence, cancer)
                for f in new:  # the section label in force where the drug is named
                    f.section = sections.at(f.offsets["drug"][0] - section_base)
                findings.extend(new)
            memory.update(sent.units)
        if self.use_model and self.relation is not None:
            doc = self.relation(doc)
        if self.use_model and (self.relation is not None or "miner_relation" in self.nlp.pipe_names) \
                and doc.has_extension("relations"):
            findings.extend(self._model_findings(doc, doc_id, base, sents, findings, blocks, cancers, levels,
                                                 memory, sections, section_base))
        return findings

    def _model_findings(
        self, doc: Doc, doc_id: str, base: int, sents: list[_Sentence], rule_findings: list[Finding],
        blocks: list[int], cancers: list[str], levels: list[str], memory: DocMemory,
        sections: SectionIndex, section_base: int,
    ) -> list[Finding]:
        """The trained relation component's proposals that no rule read, with the reader's context.

        Rules are the high-precision proposals: where a rule read a drug pair (either direction) or a drug's
        resistance with the same mechanism in a sentence, the model's reading of it is dropped. A model finding
        keeps its classifier score (times :data:`MODEL_WEIGHT`) as confidence and ``rule = "model:..."``.
        """
        from miner.extract.relation.findings import relation_findings

        def sentence_of(offset: int) -> int:
            for k, s in enumerate(sents):
                if s.start <= offset < s.end:
                    return k
            return -1

        def key(ids: list[str], text: str) -> str:
            return "|".join(sorted(ids)) if ids else text.lower()

        taken: set[tuple] = set()
        for f in rule_findings:
            k = sentence_of(f.offsets["drug"][0])
            second = key(f.prior_drug_ids, f.prior_drug) if f.prior_drug else "mech:" + ",".join(f.mechanism_genes)
            taken.add((k, frozenset({key(f.drug_ids, f.drug), second})))
            if not f.prior_drug:
                taken.add((k, frozenset({key(f.drug_ids, f.drug), "mech:"})))  # the drug's resistance is read
        out: list[Finding] = []
        hedge, aim = self.grammar.classes_with("hedge"), self.grammar.classes_with("aim")
        negation = self.grammar.classes_with("negation")
        for f in relation_findings(doc, doc_id, base):
            k = sentence_of(f.offsets["drug"][0])
            # the classifier does not model aims or negation ("were not resistant", "no KEAP1 mutation was found"):
            # in such sentences only the rules, which read their scope, speak
            if k < 0 or has_cue(sents[k].units, aim) or has_cue(sents[k].units, negation):
                continue
            second = key(f.prior_drug_ids, f.prior_drug) if f.prior_drug else "mech:" + ",".join(f.mechanism_genes)
            pair = frozenset({key(f.drug_ids, f.drug), second})
            if (k, pair) in taken or (not f.prior_drug and (k, frozenset({key(f.drug_ids, f.drug), "mech:"})) in taken):
                continue
            taken.add((k, pair))
            f.hedged = has_cue(sents[k].units, hedge)
            f.evidence_level = _scoped(levels, blocks, k) or "unknown"
            build.set_cancer(f, _scoped(cancers, blocks, k) or memory.cancer)
            f.section = sections.at(f.offsets["drug"][0] - section_base)
            f.confidence = build.confidence(f.confidence * MODEL_WEIGHT, f.hedged)
            f.id = f.stable_id()
            out.append(f)
        return out


    def _findings(
        self,
        sent: _Sentence,
        readings: list[_Reading],
        doc_id: str,
        evidence: str,
        cancer: str,
    ) -> list[Finding]:
        if has_cue(sent.units, self.grammar.classes_with("aim")):
            return []  # aims, questions and plans ("to determine whether ...") state no result
        hedged = has_cue(sent.units, self.grammar.classes_with("hedge"))
        bidirectional = states_both_directions(sent.units, self.grammar.classes_with("bidirectional"))
        # a verbless line ("TABLE 2 | Cross-resistance in CDK4/6-targeted therapies.") names a topic: it states no
        # relation among a class's members
        titled = sent.span.doc.has_annotation("TAG") and not any(t.tag_ in _FINITE for t in sent.span)
        provenance = build.Provenance(doc_id, sent.text, sent.start, sent.end)
        # one finding per drug pair; single-drug resistance is read per drug and mechanism (guidelines section 3)
        best: dict[tuple[str, str, str], Finding] = {}
        for r in readings:
            context = build.Context(hedged, bidirectional, r.negated, evidence, cancer)
            for drug, prior in r.pairs:
                if titled and prior is drug:
                    continue
                if prior is not None and prior is not drug and \
                        {m.key for m in prior.mentions} & {m.key for m in drug.mentions}:
                    continue  # "X plus Y after X": a regimen containing the prior is not read
                for m in (r.mechanisms if prior is None else r.mechanisms[:1]) or [None]:
                    conf = build.confidence(r.pattern.confidence, hedged, r.anaphora,
                                            m is not None and m.from_next_sentence)
                    mech = build.MechanismArg(m.text, m.start, m.end, m.genes, m.type) if m is not None else None
                    finding = build.build(drug, prior, r.effect, r.pattern.kind, context, provenance,
                                          r.pattern.name, conf, mech, _names_note(drug, prior))
                    mech_key = _mechanism_key(m) if prior is None else ""
                    key = (drug.key, prior.key if prior is not None else "", mech_key)
                    old = best.get(key)
                    if old is None or finding.confidence > old.confidence:
                        best[key] = finding
        # a drug's resistance read with a mechanism makes its reading without one redundant
        with_mechanism = {key[0] for key in best if not key[1] and key[2]}
        best = {key: f for key, f in best.items() if key[1] or key[2] or key[0] not in with_mechanism}
        # one sentence states one direction: of "X ... Y" and "Y ... X" readings keep the more confident
        # (the first read on a tie)
        winner: dict[tuple[frozenset[str], str], tuple[str, str, str]] = {}
        for key, f in best.items():
            pair = (frozenset(key[:2]), key[2])
            if pair not in winner or f.confidence > best[winner[pair]].confidence:
                winner[pair] = key
        found = [f for key, f in best.items() if winner[(frozenset(key[:2]), key[2])] == key]
        if bidirectional:  # both directions stated: the reverse is a second finding (guidelines section 3)
            mirror = {r.pattern.name for r in readings if r.mirror}
            found += [build.reversed_finding(f) for f in found
                      if f.prior_drug and f.rule in mirror and f.offsets["drug"] != f.offsets["prior_drug"]]
        return found
