"""Dosage rules: exact spans on clinical text, what must not fire, attributes and invariants."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medner_cli.rules.dosage import (DosageSpan, find_dosages, only_dose_words, pieces,
                                     reference_pieces)


def spans(text: str) -> list[str]:
    return [text[d.start:d.end] for d in find_dosages(text)]


# (sentence, the exact Dosage spans in order)
POSITIVE = [
    # a bare strength right after a drug name, as dictated notes write it
    ("She takes Lipitor 40 at night.", ["40 at night"]),
    ("Continue Toprol XL 50 daily.", ["50 daily"]),
    ("Plavix 75 daily and aspirin 81.", ["75 daily", "81"]),
    ("Norco 5/325 one tab q6h prn pain.", ["5/325 one tab q6h prn"]),
    ("Started Keflex 500 qid x 7 days.", ["500 qid x 7 days"]),
    # counts of administrations, bedtime for, counts after a dose form
    ("He received 3 injections of Botox into the detrusor.", ["3 injections"]),
    ("Timolol drops x2 were given.", ["x2"]),
    ("Ambien 10 mg for bedtime.", ["10 mg for bedtime"]),
    # millilitres of a solution of stated strength, whatever the words before; infiltration
    # gives a drug; a strength per a measured volume
    ("After aspiration of clear CSF, 2 mL of 0.5% bupivacaine was injected.", ["2 mL of 0.5%"]),
    ("Using a spinal needle for localization, the portal was made after infiltration with 5 mL "
     "of the mixture.", ["5 mL"]),
    ("Cefuroxime 1 mg/0.1 mL was injected intracamerally.", ["1 mg/0.1 mL"]),
    # discharge medication lists (i2b2 style)
    ("1. Lisinopril 10 mg p.o. daily.", ["10 mg p.o. daily"]),
    ("2. Metformin 500 mg p.o. b.i.d. with meals.", ["500 mg p.o. b.i.d. with meals"]),
    ("3. Percocet 5/325 mg one to two tablets p.o. q.4-6h. p.r.n. pain.",
     ["5/325 mg one to two tablets p.o. q.4-6h. p.r.n."]),
    ("Colace 100 mg p.o. b.i.d.", ["100 mg p.o. b.i.d."]),
    ("Coumadin 5 mg p.o. q.h.s.", ["5 mg p.o. q.h.s."]),
    ("Lovenox 40 mg subcutaneously daily", ["40 mg subcutaneously daily"]),
    ("Insulin NPH 10 units subcu q.a.m. and 6 units q.p.m.",
     ["10 units subcu q.a.m.", "6 units q.p.m."]),
    ("Albuterol 2 puffs inhaled q.i.d. p.r.n.", ["2 puffs inhaled q.i.d. p.r.n."]),
    ("Nitroglycerin 0.4 mg sublingual q.5 min. x3 p.r.n. chest pain",
     ["0.4 mg sublingual q.5 min. x3 p.r.n."]),
    ("Prednisone 40 mg daily x 5 days, then 20 mg daily x 5 days",
     ["40 mg daily x 5 days", "20 mg daily x 5 days"]),
    ("Vancomycin 1 g IV q.12h. for 14 days", ["1 g IV q.12h. for 14 days"]),
    ("Keflex 500 mg q.i.d. times 7 days", ["500 mg q.i.d. times 7 days"]),
    ("Aspirin 325 mg once", ["325 mg once"]),
    ("Tylenol 650 mg PR q6h prn fever", ["650 mg PR q6h prn"]),
    ("Ativan 0.5-1 mg IV q4h prn anxiety", ["0.5-1 mg IV q4h prn"]),
    ("Heparin 5000 units subcutaneously q.8h.", ["5000 units subcutaneously q.8h."]),
    ("Heparin 5,000 units SC TID", ["5,000 units SC TID"]),
    ("Ferrous sulfate 325 mg PO TID with meals", ["325 mg PO TID with meals"]),
    ("Simvastatin 40 mg nightly", ["40 mg nightly"]),
    ("Tamsulosin 0.4 mg PO qHS", ["0.4 mg PO qHS"]),
    ("Famotidine 20 mg PO BID", ["20 mg PO BID"]),
    ("Metoprolol 25 mg PO twice daily", ["25 mg PO twice daily"]),
    ("Metoprolol XL 50 mg daily", ["50 mg daily"]),
    ("Gabapentin 300 mg three times a day", ["300 mg three times a day"]),
    ("Plavix 75 mg a day", ["75 mg a day"]),
    ("Amlodipine 10 mg every day", ["10 mg every day"]),
    ("Magnesium oxide 400 mg PO BID", ["400 mg PO BID"]),
    ("Vitamin D3 1,000 IU daily", ["1,000 IU daily"]),
    ("Vitamin D 50,000 units weekly", ["50,000 units weekly"]),
    ("Methotrexate 15 mg once weekly", ["15 mg once weekly"]),
    ("B12 1000 mcg IM monthly", ["1000 mcg IM monthly"]),
    ("Depo-Provera 150 mg IM every 3 months", ["150 mg IM every 3 months"]),
    ("Lantus 20 units qhs", ["20 units qhs"]),
    ("glargine 20 u qhs", ["20 u qhs"]),  # notes' lower-case "u" for units
    ("Synthroid 88 mcg daily", ["88 mcg daily"]),
    ("Keppra 500 mg every 12 hrs", ["500 mg every 12 hrs"]),
    ("Coumadin 5mg qod", ["5mg qod"]),
    ("ASPIRIN 81 MG PO DAILY", ["81 MG PO DAILY"]),
    ("tylenol 325mg-650mg po q4h prn", ["325mg-650mg po q4h prn"]),
    ("Morphine 2 mg-4 mg IV", ["2 mg-4 mg"]),
    ("Increase glargine from 14 units to 18 units at bedtime", ["14 units", "18 units at bedtime"]),
    ("10 mg tab po qhs", ["10 mg tab po qhs"]),
    ("Omeprazole 20 mg 30 minutes before breakfast", ["20 mg 30 minutes before breakfast"]),
    ("Dilaudid 0.5 mg IV q3h PRN severe pain", ["0.5 mg IV q3h PRN"]),
    ("Zofran 4 mg ODT q8h prn nausea", ["4 mg ODT q8h prn"]),
    ("Benadryl 25-50 mg PO q6h PRN itching", ["25-50 mg PO q6h PRN"]),
    ("Senna 2 tabs PO qHS", ["2 tabs PO qHS"]),
    ("Docusate 100 mg PO BID PRN constipation", ["100 mg PO BID PRN"]),
    ("Tylenol #3 1-2 tabs q4-6h prn pain", ["1-2 tabs q4-6h prn"]),
    ("Tylenol 325 mg 2 tabs PO q6h prn", ["325 mg 2 tabs PO q6h prn"]),
    ("Tylenol 500 mg, 2 tablets every 6 hours", ["500 mg", "2 tablets every 6 hours"]),
    ("Guaifenesin 10 mL PO q4h", ["10 mL PO q4h"]),
    ("Amoxicillin 250 mg/5 mL suspension, 5 mL PO TID", ["250 mg/5 mL", "5 mL PO TID"]),
    ("Ipratropium 0.5 mg neb q6h", ["0.5 mg neb q6h"]),
    ("Nicotine patch 21 mg/24 hr daily", ["21 mg/24 hr daily"]),
    ("Fentanyl 25 mcg/hr patch q72h", ["25 mcg/hr patch q72h"]),
    ("Timolol 0.5% 1 drop OU BID", ["0.5% 1 drop OU BID"]),
    ("Hydrocortisone 2.5% cream BID", ["2.5% cream BID"]),
    ("Fluticasone 2 sprays each nostril daily", ["2 sprays each nostril daily"]),
    ("Multivitamin 1 tab daily", ["1 tab daily"]),
    ("Miralax 17 g PO daily", ["17 g PO daily"]),
    ("Kayexalate 30 g PO x1", ["30 g PO x1"]),
    ("Prednisone 5 mg tablet: take 4 tablets daily x 3 days, then 3 tablets daily x 3 days",
     ["5 mg", "4 tablets daily x 3 days", "3 tablets daily x 3 days"]),
    ("Cipro 500 mg PO q12h x 7d", ["500 mg PO q12h x 7d"]),
    ("Augmentin 875 mg PO BID for a total of 10 days", ["875 mg PO BID for a total of 10 days"]),
    ("Amoxicillin 90 mg/kg/day divided BID for 10 days", ["90 mg/kg/day divided BID for 10 days"]),
    ("Prednisone taper: 40 mg x 3 days", ["40 mg x 3 days"]),
    ("Warfarin 2.5 mg Mon/Wed/Fri", ["2.5 mg"]),
    # MIMIC-style sig lines
    # (commas and parentheses split spans)
    ("Metoprolol Tartrate 25 mg Tablet Sig: One (1) Tablet PO BID (2 times a day).",
     ["25 mg", "One (1) Tablet PO BID", "2 times a day"]),
    ("Aspirin 81 mg Tablet, Chewable Sig: One (1) Tablet, Chewable PO DAILY (Daily).",
     ["81 mg", "One (1) Tablet", "DAILY", "Daily"]),
    ("Oxycodone 5 mg Tablet Sig: 1-2 Tablets PO Q4H (every 4 hours) as needed for pain.",
     ["5 mg", "1-2 Tablets PO Q4H", "every 4 hours", "as needed"]),
    # patient instructions
    ("Take 1 tablet by mouth twice a day for 10 days",
     ["1 tablet by mouth twice a day for 10 days"]),
    ("Use 2 sprays in each nostril daily", ["2 sprays in each nostril daily"]),
    ("Instill 1 drop in both eyes at bedtime", ["1 drop in both eyes at bedtime"]),
    ("Apply 1 patch topically every 72 hours", ["1 patch topically every 72 hours"]),
    ("Inject 10 units subcutaneously at bedtime", ["10 units subcutaneously at bedtime"]),
    ("Take 2 tablets on day 1, then 1 tablet daily for 4 days",
     ["2 tablets", "1 tablet daily for 4 days"]),
    ("Take one capsule daily", ["one capsule daily"]),
    ("Take 1/2 tablet daily", ["1/2 tablet daily"]),
    ("Take 1 1/2 tablets by mouth every morning", ["1 1/2 tablets by mouth every morning"]),
    ("Take one half tablet by mouth daily", ["one half tablet by mouth daily"]),
    ("Take half a tablet at bedtime", ["half a tablet at bedtime"]),
    ("Two tablets twice a day", ["Two tablets twice a day"]),
    ("Take 2 tablets 3x daily", ["2 tablets 3x daily"]),
    ("5-10 mL PO q4h PRN cough", ["5-10 mL PO q4h PRN"]),
    # ED, ICU and inpatient notes
    ("Given morphine 4 mg IV x1 and Zofran 4 mg IV", ["4 mg IV x1", "4 mg"]),
    ("Received 1 L NS bolus in the ED", ["1 L"]),
    ("Toradol 30 mg IM once", ["30 mg IM once"]),
    ("Ceftriaxone 1 g IV x1 dose", ["1 g IV x1 dose"]),
    ("Epinephrine 0.3 mg IM x1", ["0.3 mg IM x1"]),
    ("Insulin drip at 2 units/hr", ["2 units/hr"]),
    ("Levophed at 0.1 mcg/kg/min", ["0.1 mcg/kg/min"]),
    ("Propofol 50 mcg/kg/min", ["50 mcg/kg/min"]),
    ("NS at 100 cc/hr", ["100 cc/hr"]),
    ("Lactated Ringer's at 125 cc/h", ["125 cc/h"]),
    ("Heparin 25,000 units in 250 mL D5W at 18 units/kg/hr",
     ["25,000 units in 250 mL", "18 units/kg/hr"]),
    ("Vancomycin 15 mg/kg IV q12h", ["15 mg/kg IV q12h"]),
    ("Enoxaparin 1 mg/kg SC q12h", ["1 mg/kg SC q12h"]),
    ("Cisplatin 75 mg/m2 IV every 3 weeks", ["75 mg/m2 IV every 3 weeks"]),
    ("Zosyn 3.375 g IV q6h", ["3.375 g IV q6h"]),
    ("Magnesium sulfate 2 g IV over 1 hour", ["2 g IV over 1 hour"]),
    ("Sodium phosphate 15 mmol IV", ["15 mmol"]),
    ("Potassium chloride 40 mEq by mouth now", ["40 mEq"]),
    ("KCl 20 mEq PO x1", ["20 mEq PO x1"]),
    ("Potassium 3.2, repleted with 40 mEq KCl.", ["40 mEq"]),
    ("Mg 1.6, given 2 g magnesium sulfate IV.", ["2 g"]),
    ("Hgb 7.1, transfused 2 units pRBCs.", ["2 units"]),
    ("Glucose 250, given 10 units regular insulin", ["10 units"]),
    ("Bicarb 2 amps", ["2 amps"]),
    ("1 amp D50", ["1 amp"]),
    ("Dextrose 50% 25 g IV", ["50% 25 g"]),
    ("Lasix 20mg IV x1", ["20mg IV x1"]),
    ("Metoprolol 5mg IVP q5min x3", ["5mg IVP q5min x3"]),
    ("Dilaudid PCA 0.2 mg q10min lockout", ["0.2 mg q10min"]),
    ("2 mg/kg/day divided q8h", ["2 mg/kg/day divided q8h"]),
    ("Infuse 1 g over 30 minutes", ["1 g over 30 minutes"]),
    ("Increase Lasix to 80 mg IV BID.", ["80 mg IV BID"]),
    ("Decrease prednisone by 5 mg every week.", ["5 mg every week"]),
    ("Vancomycin 1.25 g IV q12h, dose adjusted per trough", ["1.25 g IV q12h"]),
    ("Tc-99m sestamibi 30 mCi", ["30 mCi"]),
    ("I-131 100 mCi", ["100 mCi"]),
    ("CT with 100 mL Omnipaque contrast", ["100 mL"]),
    # operative notes
    ("The wound was infiltrated with 10 mL of 0.25% Marcaine", ["10 mL of 0.25%"]),
    ("1% lidocaine with epinephrine was infiltrated.", ["1%"]),
    ("Ancef 2 g IV within 60 minutes of incision", ["2 g"]),
    ("Lidocaine 1% 5 mL local", ["1% 5 mL"]),
    # prose
    ("The patient is a 67-year-old male with hypertension on lisinopril 20 mg daily and metformin.",
     ["20 mg daily"]),
    ("She reports taking ibuprofen 800 mg three times daily for the past two weeks.",
     ["800 mg three times daily"]),
    ("In the ED, she received 2 L normal saline, ceftriaxone 1 g, and azithromycin 500 mg IV.",
     ["2 L", "1 g", "500 mg"]),
    ("He was given Narcan 0.4 mg IV with improvement in mental status.", ["0.4 mg"]),
    ("Continue home dose of insulin glargine 30 units at night.", ["30 units at night"]),
    ("She was on prednisone 60 mg for 2 weeks then tapered.", ["60 mg for 2 weeks"]),
    ("Her INR was 3.5 on warfarin 7.5 mg daily.", ["7.5 mg daily"]),
    ("Lithium level 0.8 mEq/L on lithium 300 mg TID", ["300 mg TID"]),
    ("Digoxin level 1.2 ng/mL; digoxin 0.125 mg daily", ["0.125 mg daily"]),
    ("He was given two doses of ceftriaxone", ["two doses"]),
    ("He took 30 pills of his Tylenol", ["30 pills"]),
    ("Tylenol 650 mg po q6h prn, not to exceed 4 g/day", ["650 mg po q6h prn", "4 g/day"]),
    # a frequency or course standing alone, next to a drug or a cue
    ("Colace b.i.d.", ["b.i.d."]),
    ("Senna at bedtime", ["at bedtime"]),
    ("Tylenol as needed", ["as needed"]),
    ("She takes aspirin daily", ["daily"]),
    ("He takes a daily aspirin.", ["daily"]),
    ("Albuterol nebs q4h prn wheezing", ["q4h prn"]),
    ("Humalog sliding scale AC and HS", ["AC and HS"]),
    ("Patient instructed to take medications daily.", ["daily"]),
    ("Completed a 7-day course of antibiotics", ["7-day course"]),
    ("Lasix PO daily", ["daily"]),
    ("hydromorphone none; ondansetron x1.", ["x1"]),
    # a schedule split off by a comma or parenthesis right after a dose continues it
    ("Tylenol 650 mg q6h (every 6 hours) as needed", ["650 mg q6h", "every 6 hours", "as needed"]),
    ("Ativan 1 mg IV q4h, prn agitation", ["1 mg IV q4h", "prn"]),
    # ... also across a route set off by commas, which goes to the dose before it
    ("Amoxicillin 875 mg, by mouth, every 12 hours, for 10 days.",
     ["875 mg", "every 12 hours", "for 10 days"]),
    ("Lovenox 40 mg, subcutaneously, daily.", ["40 mg", "daily"]),
    # more units, separators and schedules
    ("Heparin 5,000 units subcut x1 in preoperative holding", ["5,000 units subcut x1"]),
    ("Ondansetron 4 mg IV once for nausea", ["4 mg IV once"]),
    ("Vitamin D 50 000 units weekly", ["50 000 units weekly"]),
    ("Take 2 500 mg tablets", ["500 mg"]),
    ("Epinephrine 1:1000 0.3 mg IM", ["1:1000 0.3 mg"]),
    ("1% lidocaine with epinephrine 1:100,000", ["1%", "1:100,000"]),
    ("Albuterol HFA 90 mcg/actuation, 2 puffs q4-6h PRN",
     ["90 mcg/actuation", "2 puffs q4-6h PRN"]),
    ("Omnipaque 350 injected at 3 mL/s", ["3 mL/s"]),
    ("Tylenol 1,000 mg PO q8h around the clock", ["1,000 mg PO q8h around the clock"]),
    ("Epogen 10,000 units IV with each HD", ["10,000 units IV with each HD"]),
    ("Max 8 tablets in 24 hours", ["8 tablets in 24 hours"]),
    ("Tc-99m sulfur colloid 0.5 mCi in 0.5 mL injected intradermally", ["0.5 mCi in 0.5 mL"]),
    ("Amoxicillin 640 mg (8 mL of 400 mg/5 mL suspension) PO BID",
     ["640 mg", "8 mL of 400 mg/5 mL", "BID"]),
    ("Tylenol 650 mg PO q6h PRN, max 3 g/day", ["650 mg PO q6h PRN", "3 g/day"]),
    ("Coumadin 5 mg M/W/F and 2.5 mg other days", ["5 mg", "2.5 mg"]),
    ("He took 2 tablets of Tylenol", ["2 tablets"]),
    ("Infliximab 5 mg/kg IV at weeks 0, 2 and 6", ["5 mg/kg"]),
    ("Start amiodarone 400 mg PO TID x 1 week, then 400 mg BID x 1 week, then 200 mg daily",
     ["400 mg PO TID x 1 week", "400 mg BID x 1 week", "200 mg daily"]),
    ("Sertraline 100 mg daily, increased from 50 mg 4 weeks ago", ["100 mg daily", "50 mg"]),
    ("Triamcinolone 0.1% ointment BID to affected areas x 2 weeks", ["0.1% ointment BID"]),
    ("Latanoprost 0.005% 1 drop OU qhs", ["0.005% 1 drop OU qhs"]),
]

# Sentences where nothing may fire: labs, vitals, fluids, sizes, weights, behaviour, prose.
NEGATIVE = [
    # a route between commas continues a dose only: here there is none
    "Tolerating 2 meals, by mouth, daily.",
    # a specimen's or an organ's weight, a urine flow
    "SPECIMEN: Cord lipoma, 4.5 x 3 cm, 11 grams, to pathology.",
    "Resected tumor chips, approximately 4 grams, to pathology.",
    "Sent curettings of 3 grams to pathology.",
    # fluid totals and irrigation inflow, even of a solution of stated strength
    "Crystalloid totaled 900 mL.",
    "Hysteroscopic inflow 3 L of normal saline.",
    "The bladder was irrigated with 1 L of 0.9% saline.",
    "The prostate is approximately 50 grams, smooth and symmetric.",
    "Uroflow: Qmax 8.2 mL/s with a voided volume of 210 mL.",
    # a bare number that is no strength: a result, a level, a name's number, a date, a vital
    "Potassium 3.2 this morning.",
    "Lithium 0.9 on the last check.",
    "Omnipaque 350 was injected.",
    "Aspirin 2019 trial.",
    "CT abdomen with contrast 01/15/2022.",
    "HR 54, BP 96/58, ok to hold.",
    # device fills
    "The band was filled with 4 mL of saline.",
    "The balloon was inflated with 10 cc of sterile water.",
    "PSA 0.1 mg/ml",
    "Glucose 110 mg/dL",
    "Potassium 4.1 mEq/L",
    "Hgb 9.8 g/dL",
    "Sodium 138 mmol/L, chloride 102, BUN 18, creatinine 1.1 mg/dL",
    "WBC 12.3 K/uL, platelets 250 x10^3/uL",
    "ALT 35 U/L, AST 40 IU/L",
    "Salicylate neg, APAP neg, EtOH 212; Dilantin 12.1, Depakote 88",
    "CK 310 u/L, lipase 62 u/l",
    "Ferritin 200 ng/mL; BNP 450 pg/mL",
    "TSH 2.1 mIU/L",
    "Vancomycin trough 15.2 mcg/mL",
    "Urine protein 300 mg/24 hours",
    "24-hour urine protein 3.5 g",
    "Total protein 7.0 g/dL",
    "Iron 40 mcg/dL",
    "Serum osmolality 290 mOsm/kg",
    "Creatinine clearance 45 mL/min",
    "Fingerstick glucose 180 mg/dL",
    "Potassium level of 3.1",
    "Hemoglobin dropped by 2 g",
    "HbA1c 7.2%",
    "EF 55%",
    "Lymphocytes 20%",
    "70% stenosis of the LAD",
    "He received 50% of his home dose",
    "O2 sat 98% on 2 L NC",
    "SpO2 96% on room air",
    "Placed on 4 L nasal cannula",
    "Oxygen 2 L via nasal cannula",
    "BP 120/80, HR 88, RR 18, T 98.6 F, Wt 70 kg",
    "EBL 200 mL",
    "Postpartum hemorrhage (QBL 1,250 mL)",
    "Oxygen by nasal cannula at 2 L, weaned to room air",
    "Serial growth US q4 weeks; weekly NST from 32 weeks",
    "hcc surveillance us q6mo",
    "COPD on home oxygen 2 liters",
    "Wound irrigated with 600 mL of saline",
    "Estimated blood loss was approximately 50 cc",
    "Estimated blood loss: minimal, less than 25 mL",
    "Urine output 300 mL over 8 hours",
    "UOP 30 cc/hr",
    "Drain output 50 mL/day",
    "Intake 2 L, output 1.5 L",
    "Net negative 1.5 L",
    "I/O 2 L / 1.5 L",
    "Urine 200 cc",
    "1.2 L of fluid removed",
    "Paracentesis with 4 L removed",
    "Ascitic fluid 5 L drained",
    "Thoracentesis yielded 800 mL of straw-colored fluid",
    "Cyst aspirated with 20 mL of clear fluid",
    "JP drain with 30 cc serosanguinous output",
    "Bladder scan showed 400 mL",
    "Post-void residual 150 mL",
    "A 16 Fr Foley catheter was placed with a 10 cc balloon",
    "5 mL syringe",
    "Flushed with a 10 mL syringe",
    "Closed with 4-0 Prolene",
    "3-0 Vicryl sutures",
    "A 22g IV was placed",
    "Two 18G IVs were placed",
    "Spleen weighing 250 g",
    "The specimen weighs 45 grams",
    "The gallbladder measures 8 cm and weighs 50 g",
    "Specimens: gallbladder, weighing 85 g.",
    "Heart weight 350 g",
    "Prostate volume 40 cc",
    "Birth weight 3200 g",
    "Fetal weight 2500 grams",
    "Weight gain of 2 kg",
    "A 2 x 3 cm mass",
    "4.5 x 3.2 cm lesion",
    "Lesion 2 x 3 x 4 cm",
    "Pulse 80 x 1 minute",
    "Blood cultures x2 were drawn",
    "Age 45, GCS 15",
    "Pain 5/10",
    "Seen on 3/12/2019 at 10:30",
    "Nocturia q.1h.",
    "He smokes 10 cigarettes a day",
    "She drinks 2 beers daily",
    "He drinks 6 beers a day and smokes 1 ppd.",
    "He drinks a six pack a day",
    "Drinks 2 L of water per day",
    "Fluid restriction 1.5 L",
    "2 g sodium diet",
    "Diet: 2 gram Na restriction",
    "Disp: 30 tablets",
    "Qty: 90 capsules",
    "Disp:*60 Tablet(s)* Refills:*0*",
    "Able to perform daily activities",
    "Activities of daily living",
    "Exercise daily",
    "He walks 2 miles daily",
    "He exercises 30 minutes daily.",
    "The patient uses CPAP at night.",
    "She wakes up at night",
    "Vital signs q4h",
    "Neuro checks q1h",
    "Turn q2h",
    "Labs qAM",
    "Fingersticks QID",
    "Chest x-ray daily",
    "Dressing changes b.i.d.",
    "The patient tolerated the procedure well. Dressings were changed daily.",
    "Patient seen daily by PT",
    "Ambulate TID",
    "Bowel movements 3 times daily",
    "Voiding q2h",
    "Follow up in 2 weeks",
    "Follow up every 3 months",
    "Return to clinic in 3 months.",
    "Fever for 3 days",
    "Diarrhea x 2 weeks",
    "Has had diabetes for 10 years",
    "He has been on dialysis three times a week for 2 years.",
    "Hemodialysis three times weekly",
    "In a bid to reduce costs",
    "PRN medications:",
    "Completed the 30-day supply",
    "Pen needles 32G 4 mm, use with insulin as directed",
    "Limit fluids to 1.5 L per day",
    "FLUIDS: 1,600 mL lactated Ringer's",
    "The wound was irrigated with 1 L of warm saline",
    "Strip and record drain output BID",
    "Remove drain when < 30 mL/24 h",
    "UF goal 2 L as tolerated",
    "Ice to knee 20 minutes q2h while awake",
    "Incentive spirometer 1,250 mL x10 per hour",
    "Uses a weekly pill organizer",
    "Reports missing evening doses about 2 times per week",
    "Missed 2 doses last week",
    "Lisinopril held for 2 days",
    "Decreased urination (fewer than 3 times per day)",
    "Radiation: 50.4 Gy in 28 fractions",
    "Blood flow 400 mL/min, dialysate flow 800 mL/min",
    "Sleeps 10 hours nightly",
    "3-4 wet diapers per day",
    "Drinks about 24 oz of milk a day",
    "Apgars 8 and 9",
    "Keep SBP < 160",
    "Alert and oriented x3",
    "Smokes 1/2 ppd",
    "Pre-HD weight 81.2 kg, post 78.9 kg, UF 2.3 L",
    "Similac 60 mL q3h",
    "Tube feeds Jevity 1.2 at 60 mL/hr",
    "Free water 200 mL q6h",
    "TV 450 mL, RR 16, PEEP 5, FiO2 40%",
    "Vt 6 mL/kg",
    "Q4H vitals",
    "Q2H neuro checks",
    "Ensure 1 can TID",
    "O2 98% 2L",
    "24h urine volume 2.1 L",
    "1 ppd x 20 years",
    "LVEF 55-60%",
    "BID glucose checks",
]

# Sentences with measurements and doses together: only the doses fire.
MIXED = [
    ("Glucose 180 mg/dL, given insulin 4 units SC", ["4 units"]),
    ("EBL 100 mL. Cefazolin 2 g IV was given.", ["2 g"]),
    ("Course c/b PPH (QBL 1100), got TXA 1 g + methergine 0.2 IM.", ["1 g"]),  # "got": given
    # a volume of a named drug is given, whatever comes before it
    ("After negative aspiration, 1.5 mL of Omnipaque 240 was injected.", ["1.5 mL"]),
    ("Potassium 3.1 mEq/L; KCl 40 mEq PO x2", ["40 mEq PO x2"]),
    ("SpO2 92% on 2 L NC; albuterol 2.5 mg neb q4h", ["2.5 mg neb q4h"]),
    ("Spleen weighing 250 g. Heparin 5000 units SC q8h started.", ["5000 units SC q8h"]),
    ("Urine output 30 cc/hr despite Lasix 80 mg IV", ["80 mg"]),
    ("Hgb 9.8 g/dL; ferrous sulfate 325 mg PO TID", ["325 mg PO TID"]),
    ("Nocturia q.1h. on tamsulosin 0.4 mg qhs", ["0.4 mg qhs"]),
    ("Based on weight 82 kg: 650 mg IV", ["650 mg"]),
    ("Measuring 24 x 9 cm. The incision was infiltrated with 10 mL of 1% lidocaine",
     ["10 mL of 1%"]),
    ("Residual urine output ~200 mL/day. Sevelamer 800 mg TID with meals.",
     ["800 mg TID with meals"]),
    ("Lithium level 0.6 mmol/L on lithium carbonate 300 mg BID", ["300 mg BID"]),
    ("1130   Insulin lispro correction scale AC/HS: BG 212 mg/dL     Given", ["AC/HS"]),
    ("Magnesium 4 g IV bolus then 2 g/hr; Mg level 4.2 mg/dL", ["4 g", "2 g/hr"]),
    # lung function values, irrigation by a compound participle, a drug to avoid
    ("PFTs today: FVC 2.08 L (56% predicted). Prednisone 10 mg daily.", ["10 mg daily"]),
    ("The catheter was hand-irrigated with 600 mL of saline; Ditropan 5 mg PO TID.",
     ["5 mg PO TID"]),
    ("Avoid aspirin for 3 days; oxybutynin 5 mg PO q8h PRN.", ["5 mg PO q8h PRN"]),
    # a schedule after a comma and "up to" continues the dose
    ("Loperamide 2 mg as needed, up to 3 times a week.", ["2 mg as needed", "3 times a week"]),
    # a hyphenated word that only ends in a cue word is not that cue
    ("Referral to the stop-smoking service, with nicotine patches 21 mg/24 hours.",
     ["21 mg/24 hours"]),
]

# (sentence, the span, attributes it must carry; other keys may be present)
ATTRS = [
    ("Tylenol 650 mg, PO, q6h PRN pain.", "650 mg", {"route": "PO"}),
    ("Lasix 40 mg PO b.i.d. x 5 days",
     "40 mg PO b.i.d. x 5 days",
     {"amount": 40.0, "unit": "mg", "route": "PO", "frequency": "BID", "per_day": 2.0,
      "duration": {"value": 5.0, "unit": "day"}}),
    ("Morphine 5–10 mg IV q4h",
     "5–10 mg IV q4h",
     {"amount": [5.0, 10.0], "unit": "mg", "route": "IV", "frequency": "q4h", "per_day": 6.0}),
    ("Percocet 10/325 mg 1 tab q.4-6h. p.r.n.",
     "10/325 mg 1 tab q.4-6h. p.r.n.",
     {"amount": [10.0, 325.0], "unit": "mg", "frequency": "q4-6h", "per_day": 6.0,
      "as_needed": True}),
    ("Take 1/2 tablet daily",
     "1/2 tablet daily", {"amount": 0.5, "unit": "tablet", "per_day": 1.0}),
    ("Take 1 1/2 tablets", "1 1/2 tablets", {"amount": 1.5, "unit": "tablet"}),
    ("Take two tablets at bedtime",
     "two tablets at bedtime",
     {"amount": 2.0, "unit": "tablet", "frequency": "QHS", "per_day": 1.0}),
    ("Take one (1) capsule by mouth three times a day",
     "one (1) capsule by mouth three times a day",
     {"amount": 1.0, "unit": "capsule", "route": "PO", "frequency": "TID", "per_day": 3.0}),
    ("Metformin 500 mg p.o. q.i.d.", "500 mg p.o. q.i.d.", {"frequency": "QID", "per_day": 4.0}),
    ("Heparin 5000 units SC every 8 hours",
     "5000 units SC every 8 hours",
     {"amount": 5000.0, "unit": "unit", "route": "SC", "frequency": "q8h", "per_day": 3.0}),
    ("Methotrexate 15 mg weekly", "15 mg weekly", {"frequency": "weekly", "per_day": 1 / 7}),
    ("Coumadin 5 mg every other day", "5 mg every other day", {"frequency": "QOD", "per_day": 0.5}),
    ("Atorvastatin 40 mg at bedtime", "40 mg at bedtime", {"frequency": "QHS", "per_day": 1.0}),
    ("Simvastatin 20 mg q.h.s.", "20 mg q.h.s.", {"frequency": "QHS", "per_day": 1.0}),
    ("Ibuprofen 600 mg 3x daily", "600 mg 3x daily", {"frequency": "TID", "per_day": 3.0}),
    ("Oxycodone 5 mg q6h as needed", "5 mg q6h as needed", {"per_day": 4.0, "as_needed": True}),
    ("Tylenol 650 mg PRN", "650 mg PRN", {"as_needed": True}),
    ("Keflex 500 mg for 10 days",
     "500 mg for 10 days", {"duration": {"value": 10.0, "unit": "day"}}),
    ("Prednisone 20 mg x 2 weeks", "20 mg x 2 weeks", {"duration": {"value": 2.0, "unit": "week"}}),
    ("Doxycycline 100 mg BID for 1-2 weeks",
     "100 mg BID for 1-2 weeks", {"duration": {"value": [1.0, 2.0], "unit": "week"}}),
    ("Imatinib 400 mg daily for 3 months",
     "400 mg daily for 3 months", {"duration": {"value": 3.0, "unit": "month"}}),
    ("Ceftriaxone 1 g IV x1 dose",
     "1 g IV x1 dose", {"amount": 1.0, "unit": "g", "duration": {"value": 1.0, "unit": "dose"}}),
    ("He was given 2 doses", "2 doses", {"amount": 2.0, "unit": "dose"}),
    ("Vancomycin 15 mg/kg IV q12h", "15 mg/kg IV q12h", {"unit": "mg/kg", "per_day": 2.0}),
    ("Cisplatin 75 mg/m2 IV", "75 mg/m2", {"unit": "mg/m2", "route": "IV"}),
    ("Amoxicillin 250 mg/5 mL suspension", "250 mg/5 mL", {"unit": "mg/5 mL", "amount": 250.0}),
    ("Moxifloxacin 0.5 mg/0.1 mL intracameral", "0.5 mg/0.1 mL", {"unit": "mg/0.1 mL"}),
    ("Synthroid 88 µg daily", "88 µg daily", {"amount": 88.0, "unit": "mcg"}),
    ("Synthroid 88 ug daily", "88 ug daily", {"unit": "mcg"}),
    ("NS 1 liter bolus", "1 liter", {"amount": 1.0, "unit": "L"}),
    ("Saline 500 cc IV", "500 cc", {"unit": "mL"}),
    ("KCl 20 mEq PO", "20 mEq", {"unit": "mEq", "route": "PO"}),
    ("Phosphate 15 mmol IV", "15 mmol", {"unit": "mmol"}),
    ("Vitamin D 1,000 IU daily", "1,000 IU daily", {"amount": 1000.0, "unit": "unit"}),
    ("I-131 30 mCi", "30 mCi", {"unit": "mCi"}),
    ("Lidocaine 2% jelly", "2%", {"amount": 2.0, "unit": "%"}),
    ("Albuterol 2 puffs q4h", "2 puffs q4h", {"unit": "puff"}),
    ("Timolol 1 gtt OU BID", "1 gtt OU BID", {"unit": "drop", "route": "ophthalmic"}),
    ("Flonase 2 sprays in each nostril daily",
     "2 sprays in each nostril daily", {"unit": "spray", "route": "intranasal"}),
    ("Fentanyl 1 patch q72h",
     "1 patch q72h", {"unit": "patch", "frequency": "q72h", "per_day": 1 / 3}),
    ("Insulin drip at 2 units/hr", "2 units/hr", {"unit": "unit/h"}),
    ("Levophed at 0.1 mcg/kg/min", "0.1 mcg/kg/min", {"unit": "mcg/kg/min"}),
    ("NS at 100 cc/hr", "100 cc/hr", {"unit": "mL/h"}),
    ("Tylenol 650 mg PR q6h", "650 mg PR q6h", {"route": "PR"}),
    ("Nitroglycerin 0.4 mg SL", "0.4 mg", {"route": "SL"}),
    ("Tylenol 650 mg per NG tube q6h", "650 mg per NG tube q6h", {"route": "NG"}),
    ("Ondansetron 4 mg IV push", "4 mg", {"route": "IV"}),
    ("Colace 100 mg by mouth", "100 mg", {"route": "PO"}),
    ("Omeprazole 20 mg before breakfast",
     "20 mg before breakfast", {"frequency": "before breakfast", "per_day": 1.0}),
    ("Insulin 5 units before meals", "5 units before meals", {"frequency": "AC", "per_day": 3.0}),
    ("Tylenol 650 mg q.6h. p.r.n.", "650 mg q.6h. p.r.n.", {"frequency": "q6h", "as_needed": True}),
    ("Colecalciferol 20\u00a0000 IU once weekly for 7 weeks",
     "20\u00a0000 IU once weekly for 7 weeks",
     {"amount": 20000.0, "unit": "unit", "frequency": "weekly",
      "duration": {"value": 7.0, "unit": "week"}}),
    ("Lidocaine with epinephrine 1:100,000",
     "1:100,000", {"amount": [1.0, 100000.0], "unit": "ratio"}),
    ("Albuterol 90 mcg/actuation", "90 mcg/actuation", {"unit": "mcg/actuation"}),
    ("Tylenol 325mg-650mg po q4h prn",
     "325mg-650mg po q4h prn", {"amount": [325.0, 650.0], "unit": "mg"}),
    ("Tylenol 1 g PO q8h around the clock", "1 g PO q8h around the clock", {"frequency": "q8h"}),
    ("Ibuprofen 400 mg two or three times a day",
     "400 mg two or three times a day", {"frequency": "TID", "per_day": 3.0}),
    ("Completed a 7-day course of antibiotics",
     "7-day course", {"duration": {"value": 7.0, "unit": "day"}}),
    ("Vancomycin 1 g IV x 3 doses",
     "1 g IV x 3 doses", {"duration": {"value": 3.0, "unit": "dose"}}),
    ("Albuterol 2 puffs every 4 to 6 hours",
     "2 puffs every 4 to 6 hours", {"frequency": "q4-6h", "per_day": 6.0}),
    ("Tylenol 650 mg every six hours",
     "650 mg every six hours", {"frequency": "q6h", "per_day": 4.0}),
    ("Coumadin 5 mg q.o.d.", "5 mg q.o.d.", {"frequency": "QOD", "per_day": 0.5}),
    ("Aspirin 81 mg QD", "81 mg QD", {"frequency": "daily", "per_day": 1.0}),
    ("Metformin 500 mg twice a day", "500 mg twice a day", {"frequency": "BID", "per_day": 2.0}),
    ("Alendronate 70 mg once a week",
     "70 mg once a week", {"frequency": "weekly", "per_day": 1 / 7}),
    ("Insulin 10 units ACHS", "10 units ACHS", {"frequency": "ACHS", "per_day": 4.0}),
]


@pytest.mark.parametrize("text, expected", POSITIVE)
def test_positive_spans(text: str, expected: list[str]) -> None:
    assert spans(text) == expected


@pytest.mark.parametrize("text", NEGATIVE)
def test_negative_nothing_fires(text: str) -> None:
    assert spans(text) == []


@pytest.mark.parametrize("text, expected", MIXED)
def test_mixed_only_doses_fire(text: str, expected: list[str]) -> None:
    assert spans(text) == expected


@pytest.mark.parametrize("text, span, expected", ATTRS)
def test_attrs(text: str, span: str, expected: dict) -> None:
    found = {text[d.start:d.end]: d.attrs for d in find_dosages(text)}
    assert span in found, found
    got = found[span]
    for key, value in expected.items():
        assert key in got, (key, got)
        if isinstance(value, float):
            assert got[key] == pytest.approx(value)
        else:
            assert got[key] == value


def test_attrs_absent_when_unknown() -> None:
    assert find_dosages("Colace b.i.d.") == [
        DosageSpan(7, 13, {"frequency": "BID", "per_day": 2.0})]
    ((_, _, attrs),) = find_dosages("Tylenol 500 mg")  # a DosageSpan unpacks like a tuple
    assert attrs == {"amount": 500.0, "unit": "mg"}
    # repeats minutes apart are not a daily schedule
    (span,) = find_dosages("Nitroglycerin 0.4 mg SL q5min x3")
    attrs = span.attrs
    assert attrs["frequency"] == "q5min" and "per_day" not in attrs


def test_attrs_are_fresh_objects() -> None:
    """Cached normalisation must not leak: changing one result leaves the next one intact."""
    first = find_dosages("Morphine 2-4 mg IV")[0].attrs
    first["amount"].append(99.0)
    assert find_dosages("Morphine 2-4 mg IV")[0].attrs["amount"] == [2.0, 4.0]


# Unicode and line endings: offsets are str offsets and spans never cross a line.
UNICODE = [
    ("Lasix 40\u00a0mg daily", ["40\u00a0mg daily"]),
    ("Synthroid 88\u202fmcg daily", ["88\u202fmcg daily"]),
    ("Drug 5 mg\u2009PO\u2009BID", ["5 mg\u2009PO\u2009BID"]),
    ("Synthroid 88 μg daily", ["88 μg daily"]),
    ("Morphine 2–4 mg IV q2h PRN", ["2–4 mg IV q2h PRN"]),
    ("Morphine 2—4 mg IV", ["2—4 mg"]),
    ("Take ½ tablet daily", ["½ tablet daily"]),
    ("Take 1½ tablets", ["1½ tablets"]),
    ("Prednisone 10 mg × 5 days", ["10 mg × 5 days"]),
    ("Lasix 20 mg IV ×1", ["20 mg IV ×1"]),
    ("Café patient: Lasix 40 mg PO daily 😀 then Tylenol 650 mg", ["40 mg PO daily", "650 mg"]),
    ("Lasix 40 mg PO daily\r\nAspirin 81 mg\r\n", ["40 mg PO daily", "81 mg"]),
    ("Lasix 40 mg\r\nPO daily", ["40 mg", "daily"]),
    ("Metoprolol 25 mg\r\nBID", ["25 mg", "BID"]),
    ("Glucose 110 mg/dL\r\nInsulin 2 units", ["2 units"]),
]


@pytest.mark.parametrize("text, expected", UNICODE)
def test_unicode_and_crlf(text: str, expected: list[str]) -> None:
    assert spans(text) == expected


ALL_TEXTS = ([t for t, _ in POSITIVE] + NEGATIVE + [t for t, _ in MIXED] + [t for t, _, _ in ATTRS]
             + [t for t, _ in UNICODE])
NOTE = "\n".join(ALL_TEXTS)


def check_invariants(text: str) -> None:
    found = find_dosages(text)
    previous_end = -1
    for start, end, attrs in found:
        piece = text[start:end]
        assert piece and piece.strip() == piece
        assert "\n" not in piece and "\r" not in piece
        assert start >= previous_end  # sorted, not overlapping
        previous_end = end
        json.dumps(attrs)


@pytest.mark.parametrize("text", ALL_TEXTS + [NOTE, NOTE.replace("\n", "\r\n")])
def test_invariants(text: str) -> None:
    check_invariants(text)


def test_note_equals_lines() -> None:
    """A span never crosses a line, so a note gives what its lines give, shifted."""
    expected, offset = [], 0
    for line in ALL_TEXTS:
        expected += [(d.start + offset, d.end + offset) for d in find_dosages(line)]
        offset += len(line) + 1
    assert [(d.start, d.end) for d in find_dosages(NOTE)] == expected


def scan_everywhere(text: str) -> list[tuple[str | None, int, int]]:
    """What trying every piece at every position finds (the fast scan's reference)."""
    return [(p.kind, p.start, p.end) for p in reference_pieces(text)]


def scan_dispatch(text: str) -> list[tuple[str | None, int, int]]:
    return [(p.kind, p.start, p.end) for p in pieces(text)]


def test_dispatch_scan_matches_full_scan() -> None:
    assert scan_dispatch(NOTE) == scan_everywhere(NOTE)


_VOCAB = ["5", "10", "0.5", "1/2", "2-4", "one", "two", "half", "a", "mg", "mL", "g", "L", "units",
          "%", "tabs", "tablet", "x", "x1", "for", "times", "days", "weeks", "q", "q6h", "q.4-6h.",
          "b.i.d.", "BID", "qhs", "prn", "p.r.n.", "as", "needed", "daily", "every", "8", "hours",
          "at", "bedtime", "in", "the", "morning", "each", "eye", "with", "meals", "PO", "p.o.",
          "IV", "per", "NG", "tube", "by", "mouth", "once", "twice", "a", "day", "over", "30",
          "min", "mg/dL", "mEq/L", "NC", "EBL", "Lasix", "aspirin", "glucose", "(", ")", ",", ".",
          "-", "/", "×", "½", "µg", "ER", "patch", "then", "and", "of", "fluid", "removed"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_VOCAB),
                          st.sampled_from([" ", "", "  ", "\n", "\u00a0", "\r\n"])), max_size=25))
def test_random_text(parts: list[tuple[str, str]]) -> None:
    text = "".join(w + sep for w, sep in parts)
    check_invariants(text)
    assert scan_dispatch(text) == scan_everywhere(text)


def test_long_runs_do_not_blow_up() -> None:
    """Inputs that make a backtracking pattern explode still give sane answers."""
    for text in ("1" * 5000, "1 " * 3000, "1-" * 3000, "1/" * 3000, "q" * 5000, "1," * 3000,
                 " x" * 3000, "one " * 2000, "1.1." * 1500, "mg " * 2000, "(" * 3000):
        check_invariants(text)


@pytest.mark.parametrize("text,expected", [
    ("q8h", True), ("PO q6h", True), ("1 g", True), ("1,000 mg PO q8h", True),
    ("q8h PRN", True), ("x 3 doses", True), ("10 mg/kg", True),
    ("PO", False), ("tablet", False), ("Lasix 40 mg", False), ("metformin", False),
    ("HS\n- Amlodipine", False), ("BID x", False)])
def test_only_dose_words(text: str, expected: bool) -> None:
    assert only_dose_words(text, 0, len(text)) is expected


def test_chemicals_found_earlier_count_as_drug_names() -> None:
    """A drug the word lists do not know, but the note's Chemical entities do, gives its
    strength context; a nutrient does not ("limit sodium to 2 g per day")."""
    from medner_cli.doc import Doc
    from medner_cli.rules.dosage.spans import chemical_words

    text = "Xalatan (latanoprost) 0.005%, 1 drop both eyes at bedtime. Limit sodium to 2 g per day."
    assert "0.005%" not in spans(text)
    doc = Doc("1", text)
    chems = [doc.span(0, 7, "Chemical"), doc.span(9, 20, "Chemical"),
             doc.span(text.index("sodium"), text.index("sodium") + 6, "Chemical")]
    words = chemical_words(text, chems)
    assert words == {"xalatan", "latanoprost"}
    found = [text[d.start:d.end] for d in find_dosages(text, words)]
    assert found == ["0.005%", "1 drop both eyes at bedtime"]


def test_grams_over_100_are_a_weight_unless_right_after_a_drug() -> None:
    """A bowel prep is a dose ("MiraLAX 238 g"); a gland or specimen in grams is not."""
    text = "Prostate 120 g on TRUS; specimen 450 g. Prep: MiraLAX 238 g in Gatorade."
    found = [text[d.start:d.end] for d in find_dosages(text, frozenset({"miralax"}))]
    assert found == ["238 g"]


def test_an_x_course_after_a_chemical_found_earlier() -> None:
    """An "x" course right after a drug the note's Chemicals name is a Dosage ("treated with
    Pylera x 14 days"); how long someone has been on a drug is not ("on Pylera for 8 months")."""
    text = "Treated with Pylera x 14 days in 2020. She has been on Pylera for 8 months."
    assert spans(text) == []
    found = [text[d.start:d.end] for d in find_dosages(text, frozenset({"pylera"}))]
    assert found == ["x 14 days"]



def test_a_count_of_what_a_patient_takes_is_no_strength() -> None:
    """A bare number right after a drug is its strength ("Lipitor 40"), but not when drinks,
    packs or cups follow it."""
    text = "Social: EtOH 2-3 drinks/week. Lipitor 40 at night."
    found = [text[d.start:d.end] for d in find_dosages(text, frozenset({"etoh", "lipitor"}))]
    assert found == ["40 at night"]
