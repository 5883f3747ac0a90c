/** Issue 11 acceptance 1 at laptop size (1400×900), by mouse. The journeys: ./pageJourneySuite.ts. */
import { definePageJourneys } from './pageJourneySuite';

definePageJourneys(1400, 'mouse');
