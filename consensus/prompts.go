package consensus

import (
	"slices"
	"strings"
)

// The reasoning languages: for each, the sentence a chain's thinking starts
// with (a thinking prefix, see runner.Request.ThinkPrefix) and the
// instruction that asks for the answer in that language (added to the
// system prompt, in the prompt's language). They cover the languages
// hooks.DetectLanguage knows.
var reasonPrefixes = map[string]string{
	"en": "I will reason in English.",
	"fr": "Je vais réfléchir en français.",
	"es": "Voy a razonar en español.",
	"de": "Ich denke auf Deutsch nach.",
	"it": "Ragionerò in italiano.",
	"pt": "Vou raciocinar em português.",
	"nl": "Ik denk na in het Nederlands.",
	"pl": "Będę rozumować po polsku.",
	"tr": "Türkçe düşüneceğim.",
	"ru": "Я буду рассуждать по-русски.",
	"uk": "Я міркуватиму українською.",
	"zh": "我用中文思考。",
	"ja": "日本語で考えます。",
	"ko": "한국어로 생각하겠습니다.",
	"ar": "سأفكر باللغة العربية.",
}

var answerInstructions = map[string]string{
	"en": "Answer in English.",
	"fr": "Réponds en français.",
	"es": "Responde en español.",
	"de": "Antworte auf Deutsch.",
	"it": "Rispondi in italiano.",
	"pt": "Responda em português.",
	"nl": "Antwoord in het Nederlands.",
	"pl": "Odpowiedz po polsku.",
	"tr": "Türkçe cevap ver.",
	"ru": "Отвечай по-русски.",
	"uk": "Відповідай українською.",
	"zh": "请用中文回答。",
	"ja": "日本語で答えてください。",
	"ko": "한국어로 답하세요.",
	"ar": "أجب باللغة العربية.",
}

// Languages lists the reasoning languages (ISO 639-1), sorted.
func Languages() []string {
	out := make([]string, 0, len(reasonPrefixes))
	for l := range reasonPrefixes {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// ReasonSentence is the sentence that makes a model reason in lang, in
// lang; "" for a language rein does not know.
func ReasonSentence(lang string) string { return reasonPrefixes[strings.ToLower(lang)] }

// ThinkPrefix is the thinking prefix for lang: a newline, as the families
// write after the opening tag, then ReasonSentence. "" for a language rein
// does not know.
func ThinkPrefix(lang string) string {
	s := ReasonSentence(lang)
	if s == "" {
		return ""
	}
	return "\n" + s
}

// AnswerInstruction asks, in lang, for the answer in lang ("Отвечай
// по-русски."); "" for a language rein does not know.
func AnswerInstruction(lang string) string { return answerInstructions[strings.ToLower(lang)] }
